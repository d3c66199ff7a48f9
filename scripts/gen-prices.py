#!/usr/bin/env python3
"""Generates crates/claude-usage/src/pricing/table.rs: every model ccusage 20.0.24 prices offline.

ccusage 20.0.24 (`--offline`) prices a model from three sources, in this order:
  1. a LiteLLM snapshot, compacted at ccusage's build time to the keys starting with claude-,
     anthropic., anthropic/, {us,eu,global,jp,au}.anthropic., gpt-, azure/, openrouter/openai/ and
     zai/, plus ccusage's own built-in rates (GLM, Kimi, gpt-5.x, Claude aliases);
  2. two DeepSeek V4 rates it applies to any separator spelling of their names;
  3. a models.dev snapshot that ccusage generates and ships (MiniMax, DeepSeek, Qwen, Kimi,
     GLM spellings, ...), consulted only when the first table has no match.
Source 1 is the LiteLLM price JSON of the `litellm` PyPI package: version LITELLM_VERSION
reproduces ccusage 20.0.24's embedded snapshot exactly (this script checks that). Sources 2 and 3
exist only inside ccusage: they are read from its npm package (`@ccusage/ccusage-linux-x64`,
installed by scripts/install-test-deps), where they are deflated JSON. The built-in rates below
are ccusage's, confirmed by running its binary.

Every value is computed here exactly as ccusage computes it at run time (serde_json's default
float parsing, per-million division, cache defaults, fast multipliers, long-context tiers), so the
Rust table holds the final f64 rates and the costs come out bit-identical.

It also generates crates/claude-usage/src/pricing/newer.rs, the "newer prices" consulted only for
a model ccusage's rules leave unpriced, in this order:
  1. litellm NEWER_LITELLM_VERSION (PyPI): its keys under ccusage's prefixes that ccusage's first
     table lacks, read with ccusage's rules, plus litellm's whole-prompt tiers (`*_above_100k_tokens`);
  2. models.dev: nothing beyond ccusage's own snapshot, which the first layer already holds;
  3. the baked-in model catalog and fast-mode prices of Claude Code CLAUDE_CODE_VERSION's bundle,
     kept in CLAUDE_CODE_DATA. With --claude-code-bin they are read from the `claude` executable
     (npm `@anthropic-ai/claude-code-linux-x64`) and that file is rewritten; otherwise it is read.

Usage: python3 scripts/gen-prices.py [--litellm-json FILE] [--newer-litellm-json FILE]
                                     [--ccusage-bin FILE] [--claude-code-bin FILE] [--check]
Without --litellm-json / --newer-litellm-json it runs `pip download --no-deps litellm==VERSION`.
"""
import argparse
import json
import re
import subprocess
import sys
import tempfile
import zipfile
import zlib
from pathlib import Path

LITELLM_VERSION = "1.103.0"
NEWER_LITELLM_VERSION = "1.110.2"
CCUSAGE_VERSION = "20.0.24"
CLAUDE_CODE_VERSION = "2.1.337"
ROOT = Path(__file__).resolve().parent.parent
DEFAULT_BIN = ROOT / "build/npm/node_modules/@ccusage/ccusage-linux-x64/bin/ccusage"
OUT = ROOT / "crates/claude-usage/src/pricing/table.rs"
NEWER_OUT = ROOT / "crates/claude-usage/src/pricing/newer.rs"
CLAUDE_CODE_DATA = ROOT / "crates/claude-usage/src/pricing/claude-code-prices.json"
LITELLM_MEMBER = "litellm/model_prices_and_context_window_backup.json"
EMBEDDED_PREFIXES = ("claude-", "anthropic.", "anthropic/", "us.anthropic.", "eu.anthropic.",
                     "global.anthropic.", "jp.anthropic.", "au.anthropic.", "gpt-", "azure/",
                     "openrouter/openai/", "zai/")
COMPACT_FIELDS = {  # LiteLLM field -> ccusage's compact key
    "input_cost_per_token": "i", "output_cost_per_token": "o",
    "cache_creation_input_token_cost": "cc", "cache_read_input_token_cost": "cr",
    "input_cost_per_token_above_200k_tokens": "ia", "output_cost_per_token_above_200k_tokens": "oa",
    "cache_creation_input_token_cost_above_200k_tokens": "cca",
    "cache_read_input_token_cost_above_200k_tokens": "cra", "max_input_tokens": "ctx"}
# Request names ccusage rewrites before fuzzy matching.
ALIASES = {"gpt-5.6": "gpt-5.6-sol", "gpt-5.3-spark": "gpt-5.3-codex-spark",
           "gpt-reserve": "gpt-5.6-luna"}
# DeepSeek V4 list rates, applied to any `.`/`@`/`-` spelling of the name; the long-context
# rates equal the base ones (which changes the float rounding of lines above 200k tokens).
DEEPSEEK_V4 = {"deepseek-v4-flash": (1.4e-7, 2.8e-7, 2.8e-9), "deepseek-v4-pro": (4.35e-7, 8.7e-7, 3.625e-9)}
U64_MAX = 2**64 - 1
POW10 = [float(f"1e{exponent}") for exponent in range(309)]


def serde_number(text):
    """A JSON number as serde_json parses it without `float_roundtrip` (ccusage's build)."""
    match = re.fullmatch(r"(-?)(\d+)(?:\.(\d+))?(?:[eE]([+-]?\d+))?", text)
    negative, integer, fraction, exponent_text = match.groups()
    significand, exponent, overflowed = 0, 0, False
    for position, digit in enumerate(integer + (fraction or "")):
        in_fraction = position >= len(integer)
        if not overflowed and significand >= U64_MAX // 10 and (
                significand > U64_MAX // 10 or int(digit) > U64_MAX % 10):
            overflowed = True  # serde_json drops the digits that no longer fit a u64
        if overflowed:
            exponent += 0 if in_fraction else 1
            continue
        significand = significand * 10 + int(digit)
        exponent -= 1 if in_fraction else 0
    if fraction is None and exponent_text is None and not overflowed:
        return -significand if negative else significand
    exponent += int(exponent_text or 0)
    value = float(significand)
    while abs(exponent) >= len(POW10):
        if value == 0.0 or exponent >= 0:
            break
        value /= 1e308
        exponent += 308
    else:
        power = POW10[abs(exponent)]
        value = value * power if exponent >= 0 else value / power
    return -value if negative else value


def serde_loads(text):
    return json.loads(text, parse_float=serde_number, parse_int=serde_number)


def serde_roundtrip(value):
    """A number after serde_json writes it (shortest digits) and reads it back."""
    return value if isinstance(value, int) else serde_number(repr(float(value)))


def litellm_json(path, version=LITELLM_VERSION):
    if path:
        return Path(path).read_text()
    with tempfile.TemporaryDirectory() as scratch:
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                        f"litellm=={version}", "-d", scratch], check=True)
        wheel = next(Path(scratch).glob("litellm-*.whl"))
        with zipfile.ZipFile(wheel) as archive:
            return archive.read(LITELLM_MEMBER).decode()


def compact_litellm(raw_text):
    """ccusage's build-time compaction, then its run-time parse of the result."""
    compact = {}
    for model, pricing in serde_loads(raw_text).items():
        if not model.startswith(EMBEDDED_PREFIXES) or not isinstance(pricing, dict):
            continue
        fields = {short: serde_roundtrip(pricing[name]) for name, short in COMPACT_FIELDS.items()
                  if pricing.get(name) is not None}
        specific = pricing.get("provider_specific_entry")
        if isinstance(specific, dict) and specific.get("fast") is not None:
            fields["fast"] = serde_roundtrip(specific["fast"])
        if "i" in fields and "o" in fields:
            compact[model] = fields
    return compact


def ccusage_blobs(binary):
    """The JSON documents ccusage keeps in its binary: deflated snapshots and plain overrides."""
    data = Path(binary).read_bytes()
    blobs = {}
    for offset in range(len(data) - 2):
        if (data[offset] >> 1) & 3 not in (1, 2):  # not a fixed or dynamic Huffman block
            continue
        try:
            head = zlib.decompressobj(-15).decompress(data[offset:offset + 1024], 16)
        except zlib.error:
            continue
        if not head.startswith(b'{"'):
            continue
        try:
            document = json.loads(zlib.decompressobj(-15).decompress(data[offset:offset + 4_000_000]))
        except (zlib.error, ValueError):
            continue
        sample = next(iter(document.values()))
        if isinstance(sample, dict) and "i" in sample:
            blobs["litellm"] = zlib.decompressobj(-15).decompress(data[offset:]).decode()
        elif isinstance(sample, dict) and "cost" in sample:
            blobs["models_dev"] = zlib.decompressobj(-15).decompress(data[offset:]).decode()
    start = data.index(b'{\n\t"exact": {')
    blobs["fast"] = data[start:data.index(b"}\n}", start) + 3].decode()
    missing = {"litellm", "models_dev"} - blobs.keys()
    if missing:
        sys.exit(f"gen-prices: no {missing} snapshot in {binary}: is it ccusage {CCUSAGE_VERSION}?")
    return blobs


class Fast:
    """ccusage's fast-mode multipliers for models whose data has none."""

    def __init__(self, overrides):
        self.exact = overrides["exact"]
        self.prefix = overrides["normalized_prefix"]

    def multiplier(self, model):
        for part in [model, *re.split(r"[/:]", model)]:
            for name in (part, ALIASES.get(part)):
                if name in self.exact:
                    return self.exact[name]
        for part in re.split(r"[/:]", normalize(model)):
            for base, multiplier in self.prefix.items():
                at = part.rfind(base)
                if at >= 0 and (part[at:] == base or part[at + len(base):at + len(base) + 1] == "-"):
                    return multiplier
        return None


def normalize(model):
    return model.replace(".", "-").replace("@", "-")


def price(i, o, cw, cr, above=None, threshold=None, fast=1.0, explicit=(True, True)):
    """One ccusage `Pricing`: per-token rates, long-context rates (ia, oa, cwa, cra)."""
    return {"i": i, "o": o, "cw": cw, "cr": cr, "above": above, "threshold": threshold,
            "fast": fast, "cr_explicit": explicit[0], "cw_explicit": explicit[1]}


def primary_table(compact, fast, with_builtins=True):
    table = {}
    for model, f in compact.items():
        multiplier = f.get("fast", fast.multiplier(model))
        above = tuple(f.get(k) for k in ("ia", "oa", "cca", "cra"))
        table[model] = price(f["i"], f["o"], f.get("cc", f["i"] * 1.25), f.get("cr", f["i"] * 0.1),
                             above if any(v is not None for v in above) else None, None,
                             1.0 if multiplier is None else multiplier, ("cr" in f, "cc" in f))
    if with_builtins:
        add_builtins(table, fast)
    return table


def add_builtins(table, fast):
    """ccusage 20.0.24's `put_builtin_pricing`: only where the snapshot has no entry, except
    the gpt-5.x codex rates it overwrites and GLM, whose cache rates it patches in."""
    def keep(model, *rates, above=None, explicit=(True, True)):
        table.setdefault(model, price(*rates, above, None, fast.multiplier(model) or 1.0, explicit))

    for model in ("claude-opus-4-5", "claude-opus-4-6", "claude-opus-4-7", "claude-opus-4-8"):
        keep(model, 5e-6, 25e-6, 6.25e-6, 0.5e-6)
    keep("claude-haiku-4-5", 1e-6, 5e-6, 1.25e-6, 0.1e-6)
    keep("claude-opus-4", 15e-6, 75e-6, 18.75e-6, 1.5e-6)
    keep("claude-sonnet-4-6", 3e-6, 15e-6, 3.75e-6, 0.3e-6)
    keep("claude-sonnet-4", 3e-6, 15e-6, 3.75e-6, 0.3e-6, above=(6e-6, 22.5e-6, 7.5e-6, 0.6e-6))
    keep("claude-3-5-haiku", 0.8e-6, 4e-6, 1.0e-6, 0.08e-6)
    keep("claude-3-5-haiku-20241022", 0.8e-6, 4e-6, 1.0e-6, 0.08e-6)
    keep("claude-3-opus", 15e-6, 75e-6, 18.75e-6, 1.5e-6)
    keep("claude-3-sonnet", 3e-6, 15e-6, 3.75e-6, 0.3e-6)
    keep("claude-3-haiku", 0.25e-6, 1.25e-6, 0.3e-6, 0.03e-6)
    keep("gpt-5", 1.25e-6, 10e-6, 1.25e-6, 0.125e-6)
    keep("gpt-5.5", 5e-6, 30e-6, 5e-6, 0.5e-6)
    keep("grok-4.3", 1.25e-6, 2.5e-6, 1.25e-6, 0.125e-6, explicit=(False, False))
    keep("moonshot/kimi-k2.5", 0.6e-6, 3e-6, 0.75e-6, 0.1e-6)
    keep("moonshot/kimi-k2.6", 0.95e-6, 4e-6, 1.1875e-6, 0.16e-6)
    keep("gpt-5.1", 1.25e-6, 10e-6, 1.25e-6, 0.125e-6)
    table["gpt-5.1-codex"] = price(1.25e-6, 10e-6, 1.25e-6, 0.125e-6)
    table["gpt-5.2-codex"] = price(1.75e-6, 14e-6, 1.75e-6, 0.175e-6)
    keep("gpt-5.3-codex", 1.75e-6, 14e-6, 1.75e-6, 0.175e-6)
    table["gpt-5.2"] = price(1.75e-6, 14e-6, 1.75e-6, 0.175e-6)
    keep("gpt-5.4", 2.5e-6, 15e-6, 2.5e-6, 0.25e-6)
    keep("gpt-5.4-mini", 0.75e-6, 4.5e-6, 0.75e-6, 0.075e-6)
    keep("gpt-5.4-nano", 0.2e-6, 1.25e-6, 0.2e-6, 0.02e-6)
    keep("gpt-5.6-sol", 5e-6, 30e-6, 6.25e-6, 0.5e-6)
    keep("gpt-5.6-terra", 2.5e-6, 15e-6, 3.125e-6, 0.25e-6)
    keep("gpt-5.6-luna", 1e-6, 6e-6, 1.25e-6, 0.1e-6)
    glm = {"glm-4.5": (0.6e-6, 2.2e-6, 0.11e-6), "zai/glm-4.5": (0.6e-6, 2.2e-6, 0.11e-6),
           "zai/glm-4.5-x": (2.2e-6, 8.9e-6, 0.45e-6), "zai/glm-4.5-air": (0.2e-6, 1.1e-6, 0.03e-6),
           "zai/glm-4.5-airx": (1.1e-6, 4.5e-6, 0.22e-6), "zai/glm-4.5v": (0.6e-6, 1.8e-6, 0.11e-6),
           "zai/glm-4-32b-0414-128k": (0.1e-6, 0.1e-6, 0.0), "zai/glm-4.5-flash": (0.0, 0.0, 0.0),
           "glm-4.6": (0.6e-6, 2.2e-6, 0.11e-6), "glm-4.7": (0.6e-6, 2.2e-6, 0.11e-6)}
    for model, (i, o, cr) in glm.items():
        existing = table.get(model)
        if existing is None:
            table[model] = price(i, o, 0.0, cr)
            continue
        if not existing["cr_explicit"]:
            existing["cr"], existing["cr_explicit"] = cr, True
        if not existing["cw_explicit"]:
            existing["cw"], existing["cw_explicit"] = 0.0, True
    keep("glm-5", 1.0e-6, 3.2e-6, 0.0, 0.2e-6)
    keep("glm-5-turbo", 1.2e-6, 4.0e-6, 0.0, 0.24e-6)
    keep("glm-5.1", 1.4e-6, 4.4e-6, 0.0, 0.26e-6)


def models_dev_table(text, fast):
    """ccusage's loader of its flat models.dev snapshot (rates per million tokens)."""
    table, exact_only = {}, set()
    for model, entry in sorted(serde_loads(text).items()):
        cost = entry.get("cost") or {}
        if cost.get("input") is None or cost.get("output") is None:
            continue
        if cost["input"] == 0 and cost["output"] == 0:
            continue  # flat-fee catalogs: ccusage leaves them unpriced
        per_token = lambda value: None if value is None else value / 1_000_000.0  # noqa: E731
        i, o = per_token(cost["input"]), per_token(cost["output"])
        tiers = [tier for tier in cost.get("tiers") or []
                 if (tier.get("tier") or {}).get("type") == "context" and (tier["tier"].get("size") or 0) > 0]
        tier = min(tiers, key=lambda t: t["tier"]["size"]) if tiers else None
        above = tuple(per_token(tier.get(k)) for k in ("input", "output", "cache_write", "cache_read")) if tier else None
        table[model] = price(i, o,
                             i * 1.25 if cost.get("cache_write") is None else per_token(cost["cache_write"]),
                             i * 0.1 if cost.get("cache_read") is None else per_token(cost["cache_read"]),
                             above, tier["tier"]["size"] if tier else None, fast.multiplier(model) or 1.0,
                             ("cache_read" in cost, "cache_write" in cost))
        if entry.get("exactOnly"):
            exact_only.add(model)
    return table, exact_only


def without_date(model):
    if re.search(r".-\d{4}-\d{2}-\d{2}$", model):
        return model[:-11]
    if re.search(r".-\d{8}$", model):
        return model[:-9]
    return model


def fill_long_context(primary, models_dev):
    """ccusage copies models.dev long-context tiers onto entries that have none."""
    for model, entry in primary.items():
        if entry["above"] is not None:
            continue
        base = without_date(model)
        source = models_dev.get(ALIASES.get(base, base)) or models_dev.get(base)
        if source and source["threshold"] is not None:
            entry["above"], entry["threshold"] = source["above"], source["threshold"]


WHOLE_PROMPT_TIER = re.compile(r"(input_cost_per_token|output_cost_per_token|cache_creation_input_token_cost|"
                               r"cache_read_input_token_cost)_above_(\d+)k_tokens")


def newer_litellm_table(raw_text, primary, fast):
    """litellm NEWER_LITELLM_VERSION's keys that ccusage's first table lacks, read with ccusage's
    rules (compaction, cache defaults, fast multipliers). A key ccusage has can never match a model
    ccusage left unpriced, so leaving those out changes no answer. Tiers other than 200k are
    litellm's whole-prompt tiers: past the threshold every token of the request pays them."""
    raw = serde_loads(raw_text)
    table = primary_table(compact_litellm(raw_text), fast, with_builtins=False)
    for model in [model for model in table if model in primary]:
        del table[model]
    kinds = ("input_cost_per_token", "output_cost_per_token", "cache_creation_input_token_cost",
             "cache_read_input_token_cost")
    for model, entry in table.items():
        tiers = {}
        for field, value in raw[model].items():
            match = WHOLE_PROMPT_TIER.fullmatch(field)
            if match and match.group(2) != "200" and value is not None:
                tiers.setdefault(int(match.group(2)) * 1000, {})[match.group(1)] = serde_roundtrip(value)
        if tiers and entry["above"] is None:
            threshold = min(tiers)
            entry["above"] = tuple(tiers[threshold].get(kind) for kind in kinds)
            entry["threshold"] = threshold
    return table


def js_object(data, start):
    """The JavaScript object literal at `start` in a minified bundle, as a Python value."""
    end, depth, quote = start, 0, None
    while True:
        byte = data[end:end + 1]
        if quote:
            if byte == b"\\":
                end += 1
            elif byte == quote:
                quote = None
        elif byte in (b'"', b"'", b"`"):
            quote = byte
        elif byte in (b"{", b"["):
            depth += 1
        elif byte in (b"}", b"]"):
            depth -= 1
            if depth == 0:
                break
        end += 1
    text = data[start:end + 1].decode()
    # Quote the bare keys and spell out `!0`/`!1`; strings and numbers (`1e6`) pass unchanged.
    tokens = re.finditer(r'(?P<string>"(?:[^"\\]|\\.)*")|(?P<key>[A-Za-z_$][\w$]*)(?=:)|!0|!1|.', text, re.S)
    words = {"!0": "true", "!1": "false"}
    return json.loads("".join(json.dumps(t.group(0)) if t.group("key") else words.get(t.group(0), t.group(0))
                              for t in tokens))


CLAUDE_CODE_KINDS = {"inputTokens": "input", "outputTokens": "output", "promptCacheWriteTokens": "cache_write_5m",
                     "promptCacheWrite1hTokens": "cache_write_1h", "promptCacheReadTokens": "cache_read"}


def claude_code_prices(binary):
    """Claude Code's baked-in model catalog (pricing tiers, each model's tier) and the fast-mode
    prices of its cost function (`if(e==="claude-...")return <prices>;` for each fast model)."""
    data = Path(binary).read_bytes()
    version = re.search(rb"// Version: (\d+\.\d+\.\d+)", data)
    if version is None or version.group(1).decode() != CLAUDE_CODE_VERSION:
        sys.exit(f"gen-prices: {binary} is not Claude Code {CLAUDE_CODE_VERSION}")
    catalog = js_object(data, data.index(b'{"//":"Hand-maintained baked-in model catalog'))
    body = re.search(rb'function [\w$]+\(e\)\{((?:if\(e==="claude-[^)]*\)return [\w$]+;)+)return\}', data)
    fast = {}
    for models, name in re.findall(rb'if\(([^)]*)\)return ([\w$]+);', body.group(1)):
        rates = re.search(rb"[,; ]" + re.escape(name) + rb"=(\{inputTokens:[^}]*\})", data)
        value = js_object(data, rates.start(1))
        for model in re.findall(rb'e==="([^"]+)"', models):
            fast[model.decode()] = {CLAUDE_CODE_KINDS[k]: v for k, v in value.items() if k in CLAUDE_CODE_KINDS}
    return {
        "//": f"Prices in Claude Code {CLAUDE_CODE_VERSION}'s bundle, USD per million tokens: its baked-in "
              "model catalog and its fast-mode prices. Generated by scripts/gen-prices.py --claude-code-bin.",
        "tiers": {name: {k: v for k, v in tier.items() if k != "web_search"}
                  for name, tier in catalog["pricing_tiers"].items()},
        "models": {model["id"]: model["pricing"] for model in catalog["models"]},
        "fast": fast,
    }


def claude_code_table(prices):
    """The bundle's prices as table entries; fast mode as one multiplier, which must fit every kind.
    A rate per million becomes the double nearest its decimal value per token (0.2 -> 2e-07), as
    litellm writes the same prices, so equal prices from the two sources are equal doubles."""
    per_token = lambda value: float(f"{value!r}e-6")  # noqa: E731
    table = {}
    for model, tier_name in sorted(prices["models"].items()):
        tier = prices["tiers"][tier_name]
        rates = [tier[kind] for kind in ("input", "output", "cache_write_5m", "cache_read")]
        long = tier.get("long_prompt")
        for rates_of in [tier] + ([long] if long else []):
            if rates_of["cache_write_1h"] != 2 * rates_of["input"]:
                sys.exit(f"gen-prices: {model}: a 1h cache write is not twice the input rate")
        multiplier = 1.0
        if model in prices["fast"]:
            fast = prices["fast"][model]
            multiplier = fast["input"] / tier["input"]
            if long or any(fast[kind] != tier[kind] * multiplier for kind in fast):
                sys.exit(f"gen-prices: {model}: fast mode is not one multiplier of its prices")
        above = threshold = None
        if long:
            above = tuple(per_token(long[k]) for k in ("input", "output", "cache_write_5m", "cache_read"))
            threshold = int(long["above_prompt_tokens"])
        table[model] = price(*map(per_token, rates), above, threshold, multiplier)
    return table


def rust_f64(value):
    text = repr(float(value))
    return text if any(c in text for c in ".e") else text + ".0"


def rust_option(value):
    return "N" if value is None else f"s({rust_f64(value)})"


def rust_price(entry):
    text = f"p({', '.join(rust_f64(entry[k]) for k in ('i', 'o', 'cw', 'cr'))})"
    if entry["above"] is not None:
        rates = ", ".join(rust_option(v) for v in entry["above"])
        text += (f".above_200k({rates})" if entry["threshold"] is None
                 else f".whole_line_above({entry['threshold']}, {rates})")
    if entry["fast"] != 1.0:
        text += f".fast({rust_f64(entry['fast'])})"
    return text


def render(primary, models_dev, exact_only, command):
    spellings = {}
    for model in exact_only:
        spellings.setdefault(normalize(model), set()).add(model)
    lines = [
        "// @generated by scripts/gen-prices.py: do not edit; run the command below instead.",
        "//! The embedded offline price table: every model ccusage 20.0.24 prices with `--offline`.",
        "//!",
        f"//! Generated by `{command}` from",
        f"//! * litellm {LITELLM_VERSION} (PyPI), `{LITELLM_MEMBER}`: the keys",
        "//!   ccusage 20.0.24 embeds, identical to its own snapshot, plus its built-in rates;",
        f"//! * the models.dev snapshot and fast-mode overrides inside ccusage {CCUSAGE_VERSION}",
        "//!   (npm `@ccusage/ccusage-linux-x64`), which ccusage consults after the first table.",
        "//!",
        "//! Rates are USD per token, already computed as ccusage computes them at run time, so costs",
        "//! are bit-identical. A generated table: longer than the 450-line limit on purpose.",
        "",
        "use super::ModelPrice;",
        "",
        "const N: Option<f64> = None;",
        "",
        "const fn s(rate: f64) -> Option<f64> {",
        "    Some(rate)",
        "}",
        "",
        "const fn p(input: f64, output: f64, cache_write: f64, cache_read: f64) -> ModelPrice {",
        "    ModelPrice::new(input, output, cache_write, cache_read)",
        "}",
        "",
        "/// ccusage's rewrites of request names, tried before fuzzy matching.",
        "pub(super) const ALIASES: &[(&str, &str)] = &[",
        *[f'    ("{k}", "{v}"),' for k, v in sorted(ALIASES.items())],
        "];",
        "",
        "/// LiteLLM entries and ccusage's built-ins, sorted by key: consulted first.",
        f"pub(super) const PRIMARY: &[(&str, ModelPrice)] = &[",
        *[f"    ({json.dumps(k)}, {rust_price(primary[k])})," for k in sorted(primary)],
        "];",
        "",
        "/// Rates for any `.`/`@`/`-` spelling of these names, after the primary table misses.",
        "pub(super) const ANY_SPELLING: &[(&str, ModelPrice)] = &[",
        *[f'    ("{k}", {rust_price(price(i, o, i, cr, (i, o, i, cr)))}),' for k, (i, o, cr) in sorted(DEEPSEEK_V4.items())],
        "];",
        "",
        "/// The models.dev snapshot, sorted by key; `true` marks an entry only an exact request",
        "/// (or a separator spelling of it) may use. Keys the primary table has are left out: they",
        "/// can never be reached here.",
        "pub(super) const MODELS_DEV: &[(&str, bool, ModelPrice)] = &[",
        *[f"    ({json.dumps(k)}, {'true' if k in exact_only else 'false'}, {rust_price(models_dev[k])}),"
          for k in sorted(models_dev) if k not in primary or k in exact_only],
        "];",
        "",
        "/// Separator spellings of the exact-only keys, sorted, with the key each names (`None` when",
        "/// two keys share the spelling).",
        "pub(super) const EXACT_ONLY_SPELLINGS: &[(&str, Option<&str>)] = &[",
        *[f"    ({json.dumps(n)}, {('Some(' + json.dumps(next(iter(ks))) + ')') if len(ks) == 1 else 'None'}),"
          for n, ks in sorted(spellings.items())],
        "];",
        "",
    ]
    return "\n".join(lines)


def render_newer(litellm, claude_code, command):
    def entries(table):
        return [f"    ({json.dumps(k)}, {rust_price(table[k])})," for k in sorted(table)]

    text = "\n".join(entries(litellm) + entries(claude_code))
    lines = [
        "// @generated by scripts/gen-prices.py: do not edit; run the command below instead.",
        "//! Newer prices: consulted only for a model ccusage 20.0.24's rules leave unpriced.",
        "//!",
        f"//! Generated by `{command}` from",
        f"//! * litellm {NEWER_LITELLM_VERSION} (PyPI), `{LITELLM_MEMBER}`: the keys",
        "//!   under ccusage's prefixes that its own table lacks, read with its rules;",
        f"//! * Claude Code {CLAUDE_CODE_VERSION}'s bundle (npm `@anthropic-ai/claude-code-linux-x64`): its",
        "//!   baked-in model catalog and fast-mode prices, kept in `claude-code-prices.json`.",
        "//!",
        "//! Rates are USD per token; `docs/ccusage-rules.md` (section 4.5) says which source wins.",
        "",
        "use super::ModelPrice;",
        "",
        *(["const N: Option<f64> = None;", ""] if "(N" in text or " N," in text or " N)" in text else []),
        *(["const fn s(rate: f64) -> Option<f64> {", "    Some(rate)", "}", ""] if "s(" in text.replace("p(", "") else []),
        "const fn p(input: f64, output: f64, cache_write: f64, cache_read: f64) -> ModelPrice {",
        "    ModelPrice::new(input, output, cache_write, cache_read)",
        "}",
        "",
        f"/// litellm {NEWER_LITELLM_VERSION}'s entries that ccusage's table lacks, sorted by key: consulted first.",
        "pub(super) const LITELLM: &[(&str, ModelPrice)] = &[",
        *entries(litellm),
        "];",
        "",
        f"/// The prices in Claude Code {CLAUDE_CODE_VERSION}'s bundle, sorted by key: consulted last.",
        "pub(super) const CLAUDE_CODE: &[(&str, ModelPrice)] = &[",
        *entries(claude_code),
        "];",
        "",
    ]
    return "\n".join(lines)


def write_or_check(path, text, check):
    if not check:
        path.write_text(text)
        return True
    return path.exists() and path.read_text() == text


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--litellm-json", help=f"litellm {LITELLM_VERSION}'s {LITELLM_MEMBER}")
    parser.add_argument("--newer-litellm-json", help=f"litellm {NEWER_LITELLM_VERSION}'s {LITELLM_MEMBER}")
    parser.add_argument("--ccusage-bin", default=str(DEFAULT_BIN), help="ccusage's native binary")
    parser.add_argument("--claude-code-bin", help=f"Claude Code {CLAUDE_CODE_VERSION}'s `claude` executable "
                        f"(default: read {CLAUDE_CODE_DATA.relative_to(ROOT)})")
    parser.add_argument("--check", action="store_true", help="fail if a generated file is out of date")
    args = parser.parse_args()
    blobs = ccusage_blobs(args.ccusage_bin)
    compact = compact_litellm(litellm_json(args.litellm_json))
    embedded = serde_loads(blobs["litellm"])
    if compact != embedded:
        differing = sorted(set(compact) ^ set(embedded) | {k for k in compact if compact.get(k) != embedded.get(k)})
        sys.exit(f"gen-prices: litellm {LITELLM_VERSION} differs from ccusage's snapshot: {differing[:10]}")
    fast = Fast(json.loads(blobs["fast"]))
    primary = primary_table(compact, fast)
    models_dev, exact_only = models_dev_table(blobs["models_dev"], fast)
    fill_long_context(primary, models_dev)
    command = "python3 scripts/gen-prices.py"
    newer = newer_litellm_table(litellm_json(args.newer_litellm_json, NEWER_LITELLM_VERSION), primary, fast)
    if args.claude_code_bin:
        prices_text = json.dumps(claude_code_prices(args.claude_code_bin), indent=2, sort_keys=True) + "\n"
    else:
        prices_text = CLAUDE_CODE_DATA.read_text()
    claude_code = claude_code_table(json.loads(prices_text))
    outputs = [(OUT, render(primary, models_dev, exact_only, command)),
               (NEWER_OUT, render_newer(newer, claude_code, command)),
               (CLAUDE_CODE_DATA, prices_text)]
    stale = [str(path.relative_to(ROOT)) for path, text in outputs if not write_or_check(path, text, args.check)]
    if stale:
        sys.exit(f"gen-prices: out of date: {', '.join(stale)}")
    if not args.check:
        print(f"gen-prices: {len(primary)} primary, {len(DEEPSEEK_V4)} any-spelling, "
              f"{sum(1 for k in models_dev if k not in primary or k in exact_only)} models.dev entries "
              f"-> {OUT.relative_to(ROOT)}; {len(newer)} litellm {NEWER_LITELLM_VERSION}, "
              f"{len(claude_code)} Claude Code {CLAUDE_CODE_VERSION} entries -> {NEWER_OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
