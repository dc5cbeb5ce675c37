// Analytics tab: severity donut (all time), top sources, 60-minute alert rate (uPlot area chart)
// and the full category breakdown. Everything follows live stats/timeline pushes, redrawn
// at most once per frame and only while the tab is visible.
import { clear, el, fmt_int, frame_scheduler, kLevelColors, kLevels, level_class, render_bars } from './util.js';

const kSvg = 'http://www.w3.org/2000/svg';
const kRadius = 52;
const kCirc = 2 * Math.PI * kRadius;

function svg(tag, attrs) {
    const node = document.createElementNS(kSvg, tag);
    for (const [k, v] of Object.entries(attrs || {})) node.setAttribute(k, String(v));
    return node;
}

// 1234 -> "1,234", 123456 -> "123k", 2500000 -> "2.5M": fits the donut centre.
function compact(n) {
    if (n >= 1e6) return `${(n / 1e6).toFixed(n >= 1e7 ? 0 : 1)}M`;
    if (n >= 1e5) return `${Math.round(n / 1e3)}k`;
    return fmt_int(n);
}

// Axis ticks: "950", "2.5k", "80k", "1.2M".
function axis_label(n) {
    const trim = (x) => String(Number(x.toFixed(1)));
    if (n >= 1e6) return `${trim(n / 1e6)}M`;
    if (n >= 1e3) return `${trim(n / 1e3)}k`;
    return String(n);
}

// The server counts sources and categories beyond its key cap under "(other)": an aggregate,
// not a source, so it is shown as a note rather than ranked.
export const kOtherKey = '(other)';

export class Analytics {
    constructor() {
        this.donut_ = document.getElementById('donut');
        this.legend_ = document.getElementById('donut-legend');
        this.sources_ = document.getElementById('sources');
        this.sources_empty_ = document.getElementById('sources-empty');
        this.cats_ = document.getElementById('all-cats');
        this.chart_box_ = document.getElementById('rate-chart');
        this.stats_ = null;
        this.timeline_ = new Array(60).fill(0);
        this.visible_ = false;
        this.chart_ = null;
        this.render_soon_ = frame_scheduler(() => this.render_());
        this.build_donut_();
        new ResizeObserver(() => this.resize_()).observe(this.chart_box_);
    }

    set_stats(stats) {
        this.stats_ = stats;
        if (this.visible_) this.render_soon_();
    }

    set_timeline(timeline) {
        if (Array.isArray(timeline)) this.timeline_ = timeline.slice(-60);
        if (this.visible_) this.render_soon_();
    }

    show() {
        this.visible_ = true;
        this.render_soon_();
    }

    hide() {
        this.visible_ = false;
    }

    build_donut_() {
        this.donut_.appendChild(svg('circle', { cx: 80, cy: 80, r: kRadius, stroke: '#2a1f00' }));
        this.segments_ = {};
        for (const level of kLevels) {
            const c = svg('circle', { cx: 80, cy: 80, r: kRadius, stroke: kLevelColors[level], transform: 'rotate(-90 80 80)' });
            c.style.strokeDasharray = `0 ${kCirc}`;
            c.dataset.level = level;
            this.donut_.appendChild(c);
            this.segments_[level] = c;
        }
        this.donut_total_ = svg('text', { x: 80, y: 86, class: 'total' });
        this.donut_total_.textContent = '0';
        const cap = svg('text', { x: 80, y: 102, class: 'cap' });
        cap.textContent = 'TOTAL';
        this.donut_.append(this.donut_total_, cap);
        this.legend_rows_ = {};
        for (const level of kLevels) {
            const row = el('div', `legend-row ${level_class(level)}`);
            const n = el('span', 'n', '0');
            const p = el('span', 'p', '0%');
            row.append(el('span', 'sw'), el('span', '', level), n, p);
            this.legend_.appendChild(row);
            this.legend_rows_[level] = { n, p };
        }
    }

    render_() {
        if (!this.visible_) return;
        const stats = this.stats_ || {};
        const by_level = stats.by_level || {};
        const counts = kLevels.map((l) => Number(by_level[l]) || 0);
        const sum = counts.reduce((a, b) => a + b, 0);
        let offset = 0;
        kLevels.forEach((level, i) => {
            const len = sum > 0 ? (counts[i] / sum) * kCirc : 0;
            const seg = this.segments_[level];
            seg.style.strokeDasharray = `${len} ${kCirc - len}`;
            seg.style.strokeDashoffset = String(-offset);
            offset += len;
            this.legend_rows_[level].n.textContent = fmt_int(counts[i]);
            this.legend_rows_[level].p.textContent = sum > 0 ? `${((100 * counts[i]) / sum).toFixed(1)}%` : '0%';
        });
        this.donut_total_.textContent = compact(sum);
        this.donut_total_.setAttribute('title', fmt_int(sum));

        clear(this.sources_);
        const all_sources = stats.top_sources || [];
        const sources = all_sources.filter(([src]) => src !== kOtherKey).slice(0, 10);
        sources.forEach(([src, n], i) => {
            const tr = el('tr');
            tr.append(el('td', '', i + 1), el('td', '', src), el('td', '', fmt_int(Number(n) || 0)));
            this.sources_.appendChild(tr);
        });
        const other = all_sources.find(([src]) => src === kOtherKey);
        if (other) {
            const tr = el('tr', 'other');
            tr.append(el('td', '', ''), el('td', '', 'sources beyond the tracked set'), el('td', '', fmt_int(Number(other[1]) || 0)));
            this.sources_.appendChild(tr);
        }
        this.sources_empty_.hidden = all_sources.length > 0;

        render_bars(this.cats_, stats.by_category, 20, 'No data yet');
        this.render_chart_();
    }

    chart_data_() {
        const values = this.timeline_.slice(-60);
        while (values.length < 60) values.unshift(0);
        const now_min = Math.floor(Date.now() / 60000) * 60;
        const xs = values.map((_, i) => now_min - (59 - i) * 60);
        return [xs, values];
    }

    render_chart_() {
        const uPlot = globalThis.uPlot;
        if (!uPlot) return;
        const w = this.chart_box_.clientWidth;
        const h = this.chart_box_.clientHeight;
        if (w < 50 || h < 50) return;
        const data = this.chart_data_();
        if (this.chart_) {
            this.chart_.setData(data);
            return;
        }
        const amber = '#ffb000';
        const grid = { stroke: 'rgba(122,85,0,0.35)', width: 1 };
        const axis = { stroke: '#b07a00', grid, ticks: { stroke: 'rgba(122,85,0,0.5)', width: 1 }, font: '11px Courier Prime, monospace' };
        this.chart_ = new uPlot(
            {
                width: w,
                height: h,
                legend: { show: false },
                cursor: { drag: { x: false, y: false }, points: { size: 6 } },
                scales: { x: { time: true }, y: { range: (u, min, max) => [0, Math.max(4, Math.ceil(max * 1.15))] } },
                axes: [
                    {
                        ...axis,
                        values: (u, ticks) => ticks.map((t) => `-${Math.round((u.data[0][59] - t) / 60)}m`),
                        splits: (u) => [0, 14, 29, 44, 59].map((i) => u.data[0][i]),
                    },
                    { ...axis, size: 52, values: (u, ticks) => ticks.map(axis_label) },
                ],
                series: [
                    {},
                    {
                        label: 'alerts/min',
                        stroke: amber,
                        width: 2,
                        fill: (u) => {
                            const g = u.ctx.createLinearGradient(0, u.bbox.top, 0, u.bbox.top + u.bbox.height);
                            g.addColorStop(0, 'rgba(255,176,0,0.45)');
                            g.addColorStop(1, 'rgba(255,176,0,0.02)');
                            return g;
                        },
                        points: { show: false },
                    },
                ],
            },
            data,
            this.chart_box_,
        );
    }

    resize_() {
        if (!this.chart_) {
            if (this.visible_) this.render_soon_();
            return;
        }
        const w = this.chart_box_.clientWidth;
        const h = this.chart_box_.clientHeight;
        if (w >= 50 && h >= 50) this.chart_.setSize({ width: w, height: h });
    }
}
