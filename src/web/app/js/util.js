// Small DOM and formatting helpers. Data is only ever written with textContent, never as markup.

export const kLevels = ['CRITICAL', 'HIGH', 'MEDIUM', 'LOW', 'INFO'];
export const kLevelColors = {
    CRITICAL: '#ff0055',
    HIGH: '#ff4400',
    MEDIUM: '#ffe600',
    LOW: '#88cc00',
    INFO: '#00aacc',
};

export function el(tag, cls, text) {
    const node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
}

// Writes only when the text changed (no needless style/layout work).
export function set_text(node, text) {
    if (node.textContent !== text) node.textContent = text;
}

export function clear(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
}

export function level_class(level) {
    return kLevels.includes(level) ? `L-${level}` : 'L-INFO';
}

function pad2(n) {
    return n < 10 ? `0${n}` : `${n}`;
}

// Parses the server's ISO-8601 times; returns NaN when missing or malformed.
export function parse_time(iso) {
    if (!iso) return NaN;
    return Date.parse(iso);
}

export function hhmmss(iso) {
    const t = parse_time(iso);
    if (Number.isNaN(t)) return '--:--:--';
    const d = new Date(t);
    return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

// HH:MM:SS for today, "MM-DD HH:MM:SS" for older events.
export function feed_time(iso) {
    const t = parse_time(iso);
    if (Number.isNaN(t)) return '--:--:--';
    const d = new Date(t);
    const now = new Date();
    const time = `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
    if (d.getFullYear() === now.getFullYear() && d.getMonth() === now.getMonth() && d.getDate() === now.getDate()) return time;
    return `${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${time}`;
}

export function date_time(iso) {
    const t = parse_time(iso);
    if (Number.isNaN(t)) return '—';
    const d = new Date(t);
    return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
}

export function clock_text(date) {
    return `${pad2(date.getHours())}:${pad2(date.getMinutes())}:${pad2(date.getSeconds())}`;
}

// "12s ago", "3m ago", "5h ago", "2d ago" (floored), as the original's agent cards.
export function relative_time(iso, now_ms) {
    const t = parse_time(iso);
    if (Number.isNaN(t)) return '—';
    const s = Math.max(0, Math.floor((now_ms - t) / 1000));
    if (s < 60) return `${s}s ago`;
    if (s < 3600) return `${Math.floor(s / 60)}m ago`;
    if (s < 86400) return `${Math.floor(s / 3600)}h ago`;
    return `${Math.floor(s / 86400)}d ago`;
}

const kIntFormat = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
export function fmt_int(n) {
    if (typeof n !== 'number' || !Number.isFinite(n)) return '0';
    return kIntFormat.format(Math.round(n));
}

export function fmt_bytes(n) {
    if (typeof n !== 'number' || !Number.isFinite(n) || n <= 0) return '0 B';
    const units = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
    let i = 0;
    while (n >= 1024 && i < units.length - 1) {
        n /= 1024;
        i++;
    }
    return `${n.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}

export function fmt_duration(s) {
    if (typeof s !== 'number' || !Number.isFinite(s) || s < 0) return '—';
    s = Math.floor(s);
    const d = Math.floor(s / 86400);
    const h = Math.floor((s % 86400) / 3600);
    const m = Math.floor((s % 3600) / 60);
    if (d > 0) return `${d}d ${h}h`;
    if (h > 0) return `${h}h ${m}m`;
    return `${m}m ${s % 60}s`;
}

// The original's gauge rule, applied to a recent window (stats.recent_by_level) so it calms down
// once an attack is over. LOW and INFO never raise the level.
export function threat_level(counts) {
    const c = counts || {};
    const n = (level) => Number(c[level]) || 0;
    if (n('CRITICAL') > 0) return { label: 'CRITICAL', color: '#ff0055', fill: 1.0 };
    if (n('HIGH') > 5) return { label: 'HIGH', color: '#ff4400', fill: 0.75 };
    if (n('HIGH') > 0) return { label: 'ELEVATED', color: '#ff7700', fill: 0.55 };
    if (n('MEDIUM') > 0) return { label: 'MODERATE', color: '#ffe600', fill: 0.4 };
    return { label: 'NORMAL', color: '#39ff14', fill: 0.15 };
}

// Case-insensitive substring over category, message, src and hostname (the server's q rule).
export function matches(alert, level, q) {
    if (level && level !== 'ALL' && alert.level !== level) return false;
    if (!q) return true;
    const hay = `${alert.category || ''}\n${alert.message || ''}\n${alert.src || ''}\n${alert.hostname || ''}`;
    return hay.toLowerCase().includes(q.toLowerCase());
}

// Runs fn at most once per animation frame, however often it is requested.
export function frame_scheduler(fn) {
    let pending = false;
    return () => {
        if (pending) return;
        pending = true;
        requestAnimationFrame(() => {
            pending = false;
            fn();
        });
    };
}

// Horizontal bar list (top categories, category breakdown); reuses rows between updates.
export function render_bars(container, pairs, max_rows, empty_text) {
    const rows = (pairs || []).slice(0, max_rows);
    if (rows.length === 0) {
        if (!container.querySelector('.empty')) {
            clear(container);
            container.appendChild(el('div', 'empty small', empty_text));
        }
        return;
    }
    const empty = container.querySelector('.empty');
    if (empty) empty.remove();
    const max = Math.max(1, ...rows.map((r) => Number(r[1]) || 0));
    while (container.children.length > rows.length) container.lastChild.remove();
    rows.forEach(([name, count], i) => {
        let row = container.children[i];
        if (!row) {
            row = el('div', 'bar-row');
            row.append(el('span', 'bar-name'), el('div', 'bar-track'), el('span', 'bar-n'));
            row.children[1].appendChild(el('div', 'bar-fill'));
            container.appendChild(row);
        }
        set_text(row.children[0], String(name));
        row.children[0].title = String(name);
        // A transform, not width: changing it needs no layout, which matters at 1,000 alerts/s.
        row.children[1].firstChild.style.transform = `scaleX(${(Number(count) || 0) / max})`;
        set_text(row.children[2], fmt_int(Number(count) || 0));
    });
}
