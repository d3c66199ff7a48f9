// claude-gauge's virtual cluster: draws what gauge-core (gauge.wasm) says the needles and lamps
// do. This file never computes motion: it feeds frames and the time to the module and reads
// positions, needle angles and lamp patterns back, so it shows what the hardware would
// (docs/architecture.md: the page runs gauge-core, through crates/gauge-wasm).
//
// Faces: each dial face is gauge-core's SVG generator's (`face_svg` export), the one
// `claude-gauge dial-faces` prints from, so a printed face, this page and the needle agree
// (docs/dial-faces.md; the scales are described in docs/gauge-core.md, "Scales"). A fuel the
// frame leaves null is unknown: gauge-core parks its needle below E, and this page dims it and
// says how to get a value.
//
// Frame details: where each fuel figure comes from, the model family, the scoped weekly limits
// at warning and the spend are read back from the frame gauge-core decoded (the `frame_*`
// exports), and the model lamps' states from gauge-core's model-lamp map (`model_lamp_*`), so
// the page reads the wire exactly as a cluster does.
//
// Link: frames come from the daemon's /events (Server-Sent Events). While the stream is open the
// last frame is fed again every second, as the serial transport's heartbeat does, so the
// cluster's own link watchdog lights STALL only when the daemon is really gone. A closed stream
// is reopened after a second, for ever.
'use strict';

const PATTERNS = ['off', 'steady', 'slow', 'fast'];
const GAUGE_IDS = ['5h', 'tach', '7d'];
/** gauge-core's GaugeSource order (the `frame_source` export). */
const SOURCES = ['official', 'cached', 'estimate', 'none', 'unknown'];
const HEARTBEAT_MS = 1000;
const RECONNECT_MS = 1000;

/** One cluster: its own instance of the gauge-core module. */
class Instrument {
  /** Boots a cluster at `nowUs` on a fresh instance of `module` (a WebAssembly.Module). */
  static async create(module, nowUs, options = {}) {
    const instance = await WebAssembly.instantiate(module, {});
    return new Instrument(instance.exports, nowUs, options);
  }

  constructor(exports, nowUs, { linkTimeoutMs = 5000, bootSweep = true } = {}) {
    this.x = exports;
    this.x.cluster_new(nowUs, linkTimeoutMs, bootSweep ? 1 : 0);
    this.encoder = new TextEncoder();
    this.decoder = new TextDecoder();
  }

  /** UTF-8 text the module hands out as a pointer and a length. */
  text(ptr, len) {
    return this.decoder.decode(new Uint8Array(this.x.memory.buffer, ptr, len));
  }

  /** A text the module hands out packed as a BigInt `ptr << 32 | len`. */
  packedText(packed) {
    return this.text(Number(packed >> 32n), Number(packed & 0xffffffffn));
  }

  /** gauge-core's lamps' wire names, in Lamp::ALL order. */
  lampNames() {
    const names = [];
    for (let i = 0; i < this.x.lamp_count(); i += 1) {
      names.push(this.text(this.x.lamp_name_ptr(i), this.x.lamp_name_len(i)));
    }
    return names;
  }

  /** What the last decoded frame says beyond the needles and lamps (null fields when absent). */
  details() {
    const x = this.x;
    const warnScoped = [];
    for (let i = 0; i < x.frame_warn_scoped_count(); i += 1) {
      warnScoped.push(this.packedText(x.frame_warn_scoped(i)));
    }
    const orNull = (v) => (Number.isNaN(v) ? null : v);
    return {
      sources: { '5h': SOURCES[x.frame_source(0)], '7d': SOURCES[x.frame_source(2)] },
      family: this.packedText(x.frame_family()) || null,
      warnScoped,
      spend: x.frame_has_spend() === 1 ? {
        usedUsd: x.frame_spend_used_usd(),
        limitUsd: orNull(x.frame_spend_limit_usd()),
        period: this.packedText(x.frame_spend_period()),
        usedPct: orNull(x.frame_spend_used_pct()),
      } : null,
    };
  }

  /** Each model lamp at `nowUs`: pattern, on, whether a model caution lights it; and which lamp the family is on. */
  modelLamps(nowUs) {
    const x = this.x;
    const on = x.model_lamps_on_bits(nowUs);
    const lamps = [];
    for (let i = 0; i < x.model_lamp_count(); i += 1) {
      lamps.push({
        pattern: PATTERNS[x.model_lamp_pattern(i, nowUs)] || 'off',
        on: (on >> i) & 1,
        caution: x.model_lamp_is_caution(i, nowUs) === 1,
      });
    }
    return { lamps, inUse: x.model_lamp_in_use() };
  }

  /** What gauge `g`'s dial prints (gauge-core's face): ticks, figures, unit, zone, in bp. */
  face(g) {
    const x = this.x;
    const ticks = [];
    for (let i = 0; i <= x.face_tick_intervals(g); i += 1) {
      ticks.push({ bp: x.face_tick_bp(g, i), major: x.face_is_major_tick(g, i) === 1 });
    }
    const labels = [];
    for (let i = 0; i < x.face_label_count(g); i += 1) {
      labels.push({ bp: x.face_label_bp(g, i), text: this.text(x.face_label_ptr(g, i), x.face_label_len(g, i)) });
    }
    return {
      ticks,
      labels,
      unit: this.text(x.face_unit_ptr(g), x.face_unit_len(g)),
      zone: {
        from: x.face_zone_from_bp(g),
        to: x.face_zone_to_bp(g),
        kind: x.face_zone_kind(g) === 1 ? 'redline' : 'reserve',
      },
    };
  }

  /** Gauge `g`'s dial face as SVG text, `size` units across (gauge-core's generator). */
  faceSvg(g, size) {
    const len = this.x.face_svg(g, size);
    if (len === 0) throw new Error(`gauge ${g}: the dial face did not fit the module's buffer`);
    return this.text(this.x.svg_ptr(), len);
  }

  /** The needle angle at `bp` of gauge `g`'s scale, on the step the motor would use. */
  angleAtBp(g, bp) {
    return this.angleDeg(g, this.x.dial_position_steps(g, bp));
  }

  /** Runs the cluster to `nowUs` and feeds one frame (its JSON text). False if rejected. */
  feed(text, nowUs) {
    const bytes = this.encoder.encode(text);
    if (bytes.length > this.x.input_capacity()) return false;
    new Uint8Array(this.x.memory.buffer, this.x.input_ptr(), bytes.length).set(bytes);
    return this.x.cluster_feed(bytes.length, nowUs) === 0;
  }

  /** Runs every step and watchdog event due up to `nowUs`. */
  advance(nowUs) {
    this.x.cluster_advance(nowUs);
  }

  /** The three needle positions, steps above their stops. */
  positions() {
    return [0, 1, 2].map((g) => this.x.needle_position_steps(g));
  }

  /** What the cluster shows at `nowUs` (call `advance(nowUs)` first). */
  state(nowUs) {
    const on = this.x.lamps_on_bits(nowUs);
    return {
      positions: this.positions(),
      goals: [0, 1, 2].map((g) => this.x.needle_goal_steps(g)),
      lamps: this.lampNames().map((name, i) => ({
        name,
        pattern: PATTERNS[this.x.lamp_pattern(i, nowUs)] || 'off',
        on: (on >> i) & 1,
      })),
      stalled: this.x.cluster_is_stalled() === 1,
    };
  }

  acknowledge() {
    this.x.cluster_acknowledge();
  }

  /**
   * Needle angle in degrees, clockwise from 12 o'clock, for a position of gauge `g` (steps above
   * the stop; fractions place the dial's marks): gauge-core's, so the page draws what it says.
   */
  angleDeg(g, positionSteps) {
    return this.x.needle_angle_deg(g, positionSteps);
  }
}

/**
 * Replays a recorded frame sequence on a fresh cluster booted at 0 µs, in virtual time, exactly
 * as the live page does, and returns the needle positions at each sample time. `events` are
 * `{t_us, frame}` (frame: JSON text), `samples` times in µs; both sorted.
 */
async function replay(module, events, samples, options) {
  const instrument = await Instrument.create(module, 0, options);
  const out = [];
  let next = 0;
  for (const t of samples) {
    while (next < events.length && events[next].t_us <= t) {
      instrument.feed(events[next].frame, events[next].t_us);
      next += 1;
    }
    instrument.advance(t);
    out.push(instrument.positions());
  }
  return out;
}

// ---- drawing ---------------------------------------------------------------------------------

const SVG = 'http://www.w3.org/2000/svg';

function el(name, attrs, parent) {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  if (parent) parent.appendChild(node);
  return node;
}

function polar(angleDeg, radius) {
  const a = (angleDeg - 90) * Math.PI / 180;
  return [100 + radius * Math.cos(a), 100 + radius * Math.sin(a)];
}

function arc(from, to, radius) {
  const [x1, y1] = polar(from, radius);
  const [x2, y2] = polar(to, radius);
  const large = to - from > 180 ? 1 : 0;
  return `M ${x1.toFixed(2)} ${y1.toFixed(2)} A ${radius} ${radius} 0 ${large} 1 ${x2.toFixed(2)} ${y2.toFixed(2)}`;
}

/** The page's dial coordinates: a face 200 units across, centred on (100, 100). */
const DIAL_UNITS = 200;

/**
 * Draws one dial: gauge-core's face (ticks, figures, unit, zone, park mark: the printed face's
 * SVG, scaled) and the needle over it; returns the needle group.
 */
function drawDial(svg, instrument, g) {
  const parsed = new DOMParser().parseFromString(instrument.faceSvg(g, DIAL_UNITS), 'image/svg+xml');
  const face = parsed.documentElement;
  if (face.localName !== 'svg' || parsed.querySelector('parsererror')) {
    throw new Error(`gauge ${g}: the dial face is not SVG`);
  }
  svg.setAttribute('viewBox', face.getAttribute('viewBox'));
  const group = el('g', { class: 'dial-face', 'font-family': face.getAttribute('font-family') }, svg);
  for (const node of [...face.children]) {
    if (node.localName !== 'title') group.appendChild(document.importNode(node, true));
  }
  const needle = el('g', { class: 'needle', 'data-position-steps': 0, 'data-angle-deg': 0 }, svg);
  el('path', { d: 'M 97.6 112 L 99.2 22 L 100.8 22 L 102.4 112 Z', class: 'blade' }, needle);
  el('circle', { cx: 100, cy: 100, r: 9, class: 'hub' }, svg);
  el('circle', { cx: 100, cy: 100, r: 3, class: 'hub-cap' }, svg);
  return needle;
}

// ---- text ------------------------------------------------------------------------------------

function countdown(resetSecs) {
  if (resetSecs == null) return 'reset --';
  const left = Math.max(0, resetSecs - Date.now() / 1000);
  const d = Math.floor(left / 86400);
  const h = Math.floor((left % 86400) / 3600);
  const m = Math.floor((left % 3600) / 60);
  const s = Math.floor(left % 60);
  if (d > 0) return `reset ${d}d ${h}h`;
  if (h > 0) return `reset ${h}h ${String(m).padStart(2, '0')}m`;
  return `reset ${m}m ${String(s).padStart(2, '0')}s`;
}

function percent(fuel, source) {
  if (fuel == null || source === 'none') return '--';
  return `${source === 'estimate' ? '~' : ''}${Math.round(fuel * 100)}%`;
}

const SOURCE_BADGES = { official: 'OFFICIAL', cached: 'CACHED', estimate: '~ ESTIMATE', none: 'NO LIMIT' };

/**
 * Marks a fuel gauge: its source badge, and unknown (null in the frame) or without a window
 * (source `none`: Claude has no such limit for the account): either way its needle is parked by
 * gauge-core and the matching line says why.
 */
function showGauge(id, fuel, source) {
  const noWindow = source === 'none';
  const unknown = fuel == null || noWindow;
  document.getElementById(`gauge-${id}`).dataset.unknown = unknown ? 1 : 0;
  document.getElementById(`hint-${id}`).hidden = !unknown || noWindow;
  document.getElementById(`nowindow-${id}`).hidden = !noWindow;
  const badge = document.getElementById(`source-${id}`);
  badge.dataset.source = source;
  badge.textContent = SOURCE_BADGES[source] || '';
  badge.hidden = !(source in SOURCE_BADGES) || noWindow;
}

/** The panel's source badge: the best of the two gauges' sources. */
function overallSource(sources) {
  const all = Object.values(sources);
  return ['official', 'cached', 'estimate'].find((s) => all.includes(s)) || 'none';
}

function showText(frame, details) {
  const set = (id, text) => { document.getElementById(id).textContent = text; };
  if (!frame || !details) return;
  set('value-5h', percent(frame.fuel_5h, details.sources['5h']));
  set('value-7d', percent(frame.fuel_7d, details.sources['7d']));
  showGauge('5h', frame.fuel_5h, details.sources['5h']);
  showGauge('7d', frame.fuel_7d, details.sources['7d']);
  set('value-tach', frame.tach.toLocaleString('en-US'));
  set('reset-5h', details.sources['5h'] === 'none' ? '' : countdown(frame.reset_5h));
  set('reset-7d', details.sources['7d'] === 'none' ? '' : countdown(frame.reset_7d));
  const source = document.getElementById('source');
  source.dataset.source = overallSource(details.sources);
  source.textContent = { official: 'OFFICIAL', cached: 'CACHED', estimate: 'ESTIMATE' }[source.dataset.source] || 'NO DATA';
  showNotices(details);
}

// ---- family, scoped warnings and spend -------------------------------------------------------

/** "$62.50" */
function dollars(usd) {
  return `$${usd.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

/** "$62.50 / $50.00 monthly, 125 %" (the percentage unclamped: over 100 once past the limit). */
function spendText(spend) {
  let text = `spend ${dollars(spend.usedUsd)}`;
  if (spend.limitUsd != null) text += ` / ${dollars(spend.limitUsd)}`;
  if (spend.period) text += ` ${spend.period}`;
  if (spend.usedPct != null) text += `, ${Math.round(spend.usedPct)} %`;
  return text;
}

/** The /limits window a scoped warning names (by model or name), for its percentage. */
function scopedWindow(name) {
  const key = name.toLowerCase();
  const windows = (lastLimits && lastLimits.scoped) || [];
  return windows.find((w) => (w.model || '').toLowerCase() === key || (w.name || '').toLowerCase() === key)
    || windows.find((w) => (w.name || '').toLowerCase().includes(key));
}

/** "Fable 95 %" per scoped weekly limit at warning; the spend; a family on no model lamp. */
function showNotices(details) {
  const scoped = document.getElementById('scoped');
  scoped.textContent = details.warnScoped.map((name) => {
    const w = scopedWindow(name);
    return w && w.used_pct != null ? `${name} ${Math.round(w.used_pct)} %` : name;
  }).join(' · ');
  scoped.hidden = details.warnScoped.length === 0;
  const spend = document.getElementById('spend');
  spend.textContent = details.spend ? spendText(details.spend) : '';
  spend.hidden = !details.spend;
  spend.dataset.over = details.spend && details.spend.usedPct != null && details.spend.usedPct >= 100 ? 1 : 0;
}

/** The model lamps: gauge-core's states; a lamp lit by a family shows its name (FABLE). */
function showModelLamps(instrument, nodes, details, stalled, nowUs) {
  const { lamps, inUse } = instrument.modelLamps(nowUs);
  const family = details && !stalled ? details.family : null;
  nodes.forEach((node, i) => {
    const lamp = lamps[i] || { pattern: 'off', on: 0, caution: false };
    node.dataset.pattern = lamp.pattern;
    node.dataset.on = lamp.on;
    node.dataset.caution = lamp.caution ? 1 : 0;
    node.textContent = i === inUse && family ? family.toUpperCase() : node.dataset.label;
  });
  // A family on no lamp (a new one, or other) still shows, by name.
  const readout = document.getElementById('family');
  const unmapped = family && inUse >= lamps.length && family !== 'other';
  readout.textContent = unmapped ? `MODEL ${family.toUpperCase()}` : '';
  readout.hidden = !unmapped;
}

// ---- pace, run-out and Claude's other windows -----------------------------------------------
// Kept apart from the dial drawing: a small overlay on each fuel dial (the pace mark: where an
// even burn would have the needle now, the frame's `pace_5h` / `pace_7d`), "empty in ..." under
// the reset countdown (`empty_5h` / `empty_7d`), the model lamps' cautions (WARN_OPUS,
// WARN_SONNET, flashed by gauge-core like every caution) and a line of the windows the frame does
// not carry (per-model weekly ones and extra usage, from /limits).

const PACE_GAUGES = { '5h': 0, '7d': 2 };
const LIMITS_INTERVAL_MS = 5000;
/** The last /limits report (for the scoped warnings' percentages). */
let lastLimits = null;

/** Adds a hidden pace mark to fuel gauge `id`'s dial; returns it. */
function drawPaceMark(id) {
  const svg = document.querySelector(`#gauge-${id} svg`);
  const mark = el('g', { class: 'pace-mark', 'data-pace': '', visibility: 'hidden' }, svg);
  el('path', { d: 'M 100 13 L 94.5 3 L 105.5 3 Z' }, mark);
  return mark;
}

/** "empty in 1h 12m", or '' when the frame has no run-out. */
function emptyIn(emptySecs) {
  if (emptySecs == null) return '';
  const left = Math.max(0, emptySecs - Date.now() / 1000);
  const d = Math.floor(left / 86400);
  const h = Math.floor((left % 86400) / 3600);
  const m = Math.floor((left % 3600) / 60);
  if (d > 0) return `empty in ${d}d ${h}h`;
  if (h > 0) return `empty in ${h}h ${String(m).padStart(2, '0')}m`;
  return `empty in ${m}m`;
}

/** The run-out line under gauge `id`'s countdown (made on first use). */
function emptyNode(id) {
  let node = document.getElementById(`empty-${id}`);
  if (!node) {
    node = document.createElement('span');
    node.className = 'empty';
    node.id = `empty-${id}`;
    document.getElementById(`reset-${id}`).after(node);
  }
  return node;
}

/** Moves each pace mark to the frame's pace (on gauge-core's scale) and writes the run-outs. */
function showPace(instrument, marks, frame) {
  if (!frame) return;
  for (const [id, g] of Object.entries(PACE_GAUGES)) {
    const pace = frame[`pace_${id}`];
    const mark = marks[id];
    if (pace == null || frame[`fuel_${id}`] == null) {
      mark.setAttribute('visibility', 'hidden');
      mark.dataset.pace = '';
    } else {
      const angle = instrument.angleAtBp(g, Math.round(Math.min(1, Math.max(0, pace)) * 10000));
      mark.setAttribute('visibility', 'visible');
      mark.setAttribute('transform', `rotate(${angle.toFixed(3)} 100 100)`);
      mark.dataset.pace = pace;
      mark.dataset.angleDeg = angle.toFixed(3);
    }
    emptyNode(id).textContent = emptyIn(frame[`empty_${id}`]);
  }
}

/** One line of Claude's other windows (model windows first) and extra usage, from /limits. */
function windowsText(report) {
  const parts = [];
  const windows = [...(report.scoped || [])].sort((a, b) =>
    (a.model == null) - (b.model == null) || a.name.localeCompare(b.name));
  for (const w of windows) {
    const label = w.model ? `7D ${w.model.toUpperCase()}` : w.name;
    parts.push(`${label} ${Math.round(Math.max(0, 100 - w.used_pct))}% left`);
  }
  const extra = report.extra_usage;
  if (extra && extra.is_enabled) {
    parts.push(extra.used_pct == null ? 'EXTRA on' : `EXTRA ${Math.round(extra.used_pct)}% used`);
  }
  return parts.join(' · ');
}

/** Reads /limits now and every few seconds into a line under the gauges. */
function followWindows() {
  const line = document.createElement('section');
  line.className = 'windows';
  line.id = 'windows';
  line.hidden = true;
  document.querySelector('.gauges').after(line);
  const refresh = async () => {
    try {
      const response = await fetch('limits');
      if (!response.ok) return;
      lastLimits = await response.json();
      const text = windowsText(lastLimits);
      line.textContent = text;
      line.hidden = text === '';
    } catch (err) {
      // The daemon is away: the link badge says so; the last line stays.
    }
  };
  refresh();
  setInterval(refresh, LIMITS_INTERVAL_MS);
}

// ---- the live page ---------------------------------------------------------------------------

function nowUs() {
  return performance.now() * 1000;
}

class Page {
  constructor(instrument) {
    this.instrument = instrument;
    this.lastFrame = null;
    this.fedSeq = null;
    this.needles = GAUGE_IDS.map((id, g) => {
      const figure = document.getElementById(`gauge-${id}`);
      return drawDial(figure.querySelector('svg'), instrument, g);
    });
    // Lamps without a place of their own (WARN_OPUS, WARN_SONNET) show on the model lamps.
    this.lamps = instrument.lampNames().map((name) => document.querySelector(`[data-lamp="${name}"]`));
    this.details = null;
    this.models = [...document.querySelectorAll('[data-model]')];
    this.paceMarks = { '5h': drawPaceMark('5h'), '7d': drawPaceMark('7d') };
    for (const lamp of document.querySelectorAll('.lamp')) {
      lamp.addEventListener('click', () => instrument.acknowledge());
    }
  }

  feed(text, now = nowUs()) {
    if (!this.instrument.feed(text, now)) return;
    this.lastText = text;
    this.lastFrame = JSON.parse(text);
    this.lastFedUs = now;
    document.body.dataset.seq = this.lastFrame.seq;
    this.details = this.instrument.details();
    showText(this.lastFrame, this.details);
    showPace(this.instrument, this.paceMarks, this.lastFrame);
  }

  render() {
    const now = nowUs();
    // Heartbeats at their own times, also the ones a hidden (unrendered) tab missed: the link
    // was up all along, so the watchdog must not have fired in between.
    while (this.isLinkUp && this.lastText && now - this.lastFedUs >= HEARTBEAT_MS * 1000) {
      this.feed(this.lastText, this.lastFedUs + HEARTBEAT_MS * 1000);
    }
    this.instrument.advance(now);
    const state = this.instrument.state(now);
    state.positions.forEach((steps, g) => {
      const needle = this.needles[g];
      if (needle.dataset.positionSteps === String(steps) && needle.dataset.ready) return;
      const angle = this.instrument.angleDeg(g, steps);
      needle.dataset.positionSteps = steps;
      needle.dataset.angleDeg = angle.toFixed(3);
      needle.dataset.ready = '1';
      needle.setAttribute('transform', `rotate(${angle.toFixed(3)} 100 100)`);
    });
    state.lamps.forEach((lamp, i) => {
      const node = this.lamps[i];
      if (!node) return;
      node.dataset.pattern = lamp.pattern;
      node.dataset.on = lamp.on;
    });
    showModelLamps(this.instrument, this.models, this.details, state.stalled, now);
    document.body.dataset.stalled = state.stalled ? 1 : 0;
    document.body.dataset.settled = state.positions.every((p, g) => p === state.goals[g]) ? 1 : 0;
  }

  setLink(status) {
    this.isLinkUp = status === 'up';
    document.body.dataset.link = status;
    document.getElementById('link').textContent =
      { up: 'LINK', connecting: 'CONNECTING', down: 'NO LINK' }[status];
  }

  connect() {
    this.setLink('connecting');
    const events = new EventSource('events');
    events.addEventListener('open', () => this.setLink('up'));
    events.addEventListener('frame', (e) => {
      this.setLink('up');
      this.feed(e.data);
    });
    events.addEventListener('error', () => {
      // EventSource retries by itself while CONNECTING; a CLOSED one is reopened here.
      this.setLink('down');
      if (events.readyState === EventSource.CLOSED) {
        setTimeout(() => this.connect(), RECONNECT_MS);
      }
    });
  }
}

async function main() {
  const response = await fetch('gauge.wasm');
  const module = await WebAssembly.compile(await response.arrayBuffer());
  const params = new URLSearchParams(location.search);
  const options = {
    linkTimeoutMs: Number(params.get('link_timeout_ms')) || 5000,
    bootSweep: params.get('boot_sweep') !== '0',
  };
  const instrument = await Instrument.create(module, nowUs(), options);
  const page = new Page(instrument);
  // Hooks for the tests and for curious users: the live page and the replay of a recording.
  window.gauge = { page, replay: (events, samples, opts) => replay(module, events, samples, opts) };
  const loop = () => {
    page.render();
    requestAnimationFrame(loop);
  };
  loop();
  // Countdowns tick even when no frame arrives.
  setInterval(() => showText(page.lastFrame, page.details), 1000);
  setInterval(() => showPace(instrument, page.paceMarks, page.lastFrame), 1000);
  followWindows();
  page.connect();
  document.body.dataset.ready = 1;
}

main().catch((err) => {
  document.body.dataset.error = String(err);
  console.error(err);
});
