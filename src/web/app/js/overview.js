// Overview tab: threat gauge (recent window), per-level counters, 60-minute sparkline, top
// categories and the CRITICAL/HIGH side list (filled from stored history, then live).
import { fetch_alerts } from './api.js';
import { clear, el, fmt_int, frame_scheduler, hhmmss, kLevels, level_class, render_bars, threat_level } from './util.js';

const kCircumference = 2 * Math.PI * 78;
const kCritMax = 50;
const kShortNames = { CRITICAL: 'CRIT', HIGH: 'HIGH', MEDIUM: 'MED', LOW: 'LOW', INFO: 'INFO' };

export class Overview {
    constructor(on_open_alert) {
        this.on_open_alert_ = on_open_alert;
        this.arc_ = document.getElementById('gauge-arc');
        this.label_ = document.getElementById('gauge-label');
        this.counters_ = document.getElementById('counters');
        this.spark_ = document.getElementById('sparkline');
        this.tl_suffix_ = document.getElementById('tl-suffix');
        this.cats_ = document.getElementById('top-cats');
        this.crit_list_ = document.getElementById('crit-list');
        this.crit_ = [];  // newest first
        this.crit_ids_ = new Set();
        this.counter_nodes_ = {};
        for (const level of kLevels) {
            const box = el('div', `counter ${level} ${level_class(level)}`);
            const n = el('div', 'n', '0');
            box.append(n, el('div', 'l', kShortNames[level]));
            this.counters_.appendChild(box);
            this.counter_nodes_[level] = n;
        }
        for (let i = 0; i < 60; i++) this.spark_.appendChild(el('div'));
        this.arc_.style.strokeDasharray = `0 ${kCircumference}`;
        this.render_crit_soon_ = frame_scheduler(() => this.render_crit_());
        this.render_crit_();
    }

    set_stats(stats) {
        const by_level = (stats && stats.by_level) || {};
        for (const level of kLevels) {
            this.counter_nodes_[level].textContent = fmt_int(Number(by_level[level]) || 0);
        }
        const t = threat_level(stats && stats.recent_by_level);
        this.arc_.style.strokeDasharray = `${t.fill * kCircumference} ${kCircumference}`;
        this.arc_.style.stroke = t.color;
        this.arc_.style.color = t.color;
        this.label_.textContent = t.label;
        this.label_.style.color = t.color;
        this.label_.dataset.level = t.label;
        render_bars(this.cats_, stats && stats.by_category, 14, 'No data yet');
    }

    set_timeline(timeline) {
        const values = Array.isArray(timeline) ? timeline.slice(-60) : [];
        while (values.length < 60) values.unshift(0);
        const max = Math.max(1, ...values);
        values.forEach((v, i) => {
            const bar = this.spark_.children[i];
            bar.style.transform = `scaleY(${Math.max(0.02, v / max)})`;
            bar.style.opacity = String(0.28 + (0.72 * v) / max);
            bar.title = `${v} alerts, ${59 - i} min ago`;
        });
        const last5 = values.slice(-5).reduce((a, b) => a + b, 0);
        this.tl_suffix_.textContent = `${fmt_int(last5)}/5min`;
    }

    // Stored history, so a reload does not empty the list (D7).
    async load_history() {
        const [crit, high] = await Promise.all([
            fetch_alerts({ level: 'CRITICAL', limit: kCritMax }),
            fetch_alerts({ level: 'HIGH', limit: kCritMax }),
        ]);
        const merged = [...(crit.alerts || []), ...(high.alerts || [])];
        merged.sort((a, b) => key(b).localeCompare(key(a)));
        this.crit_ = [];
        this.crit_ids_.clear();
        this.add_(merged.reverse());
        this.render_crit_soon_();
    }

    // Live alerts, in any order within the batch.
    add_alerts(alerts) {
        const wanted = alerts.filter((a) => a.level === 'CRITICAL' || a.level === 'HIGH');
        if (wanted.length === 0) return;
        wanted.sort((a, b) => key(a).localeCompare(key(b)));
        this.add_(wanted);
        this.render_crit_soon_();
    }

    add_(oldest_first) {
        for (const a of oldest_first) {
            if (a.id && this.crit_ids_.has(a.id)) continue;
            if (a.id) this.crit_ids_.add(a.id);
            this.crit_.unshift(a);
        }
        while (this.crit_.length > kCritMax) {
            const gone = this.crit_.pop();
            if (gone.id) this.crit_ids_.delete(gone.id);
        }
    }

    // Incremental: new entries are inserted on top and the excess removed at the bottom, so a
    // flood of HIGH alerts costs a few nodes per frame rather than a rebuilt list.
    render_crit_() {
        const list = this.crit_list_;
        const placeholder = list.querySelector('.empty');
        if (this.crit_.length === 0) {
            if (!placeholder) {
                clear(list);
                list.appendChild(el('div', 'empty small', 'No critical alerts'));
            }
            return;
        }
        if (placeholder) placeholder.remove();
        const shown = new Map();
        for (const node of list.children) shown.set(node.__alert, node);
        let prev = null;
        for (const a of this.crit_) {
            let node = shown.get(a);
            if (node) {
                shown.delete(a);
            } else {
                node = this.crit_item_(a);
            }
            const want_next = prev ? prev.nextSibling : list.firstChild;
            if (node !== want_next) list.insertBefore(node, want_next);
            prev = node;
        }
        for (const node of shown.values()) node.remove();
    }

    crit_item_(a) {
        const item = el('div', `crit-item ${level_class(a.level)}`);
        item.__alert = a;
        item.append(
            el('div', 'h', `${a.level} · ${a.category || ''}`),
            el('div', 'm', a.message || ''),
            el('div', 't', `${hhmmss(a.ts || a.received_at)} · ${a.hostname || ''}`),
        );
        item.title = a.message || '';
        item.addEventListener('click', () => this.on_open_alert_(a));
        return item;
    }
}

function key(a) {
    return String(a.received_at || a.ts || '');
}
