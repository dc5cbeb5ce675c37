// Live Feed tab: a virtualised list (only visible rows exist in the DOM, recycled on scroll) over
// alerts loaded page by page from GET /api/alerts (server-side filter and search reach every
// stored alert), with live alerts prepended once per animation frame.
import { fetch_alerts } from './api.js';
import { alert_passes } from './groups.js';
import { clear, date_time, el, feed_time, fmt_int, kLevels, level_class } from './util.js';

const kRowHeight = 28;
const kOverscan = 8;
const kPageSize = 200;
const kMaxRows = 50000;  // memory bound; older rows are dropped and re-fetched on demand
const kStatusShort = { new: 'NEW', acknowledged: 'ACK', resolved: 'RESOLVED' };
const kChipLabels = { ALL: 'ALL', CRITICAL: '☠ CRITICAL', HIGH: '⚠ HIGH', MEDIUM: '▲ MEDIUM', LOW: '● LOW', INFO: 'ℹ INFO' };

// Newest-first sequence with O(1) prepend (head, stored oldest..newest) and append (tail).
class AlertList {
    constructor() {
        this.head = [];
        this.tail = [];
    }
    get length() {
        return this.head.length + this.tail.length;
    }
    at(i) {
        const h = this.head.length;
        return i < h ? this.head[h - 1 - i] : this.tail[i - h];
    }
    prepend_newer(alert) {
        this.head.push(alert);
    }
    append_older(alert) {
        this.tail.push(alert);
    }
    // Removes the n oldest entries and returns them.
    drop_oldest(n) {
        const dropped = [];
        while (n > 0 && this.tail.length > 0) {
            dropped.push(this.tail.pop());
            n--;
        }
        if (n > 0) dropped.push(...this.head.splice(0, n));
        return dropped;
    }
}

export class Feed {
    // on_select(alert): a row was chosen; on_filter(): level, search or status changed.
    constructor({ on_select, on_filter }) {
        this.on_select_ = on_select;
        this.on_filter_ = on_filter || (() => {});
        this.viewport_ = document.getElementById('feed-viewport');
        this.spacer_ = document.getElementById('feed-spacer');
        this.empty_ = document.getElementById('feed-empty');
        this.count_ = document.getElementById('feed-count');
        this.status_ = document.getElementById('feed-status');
        this.chips_ = document.getElementById('chips');
        this.search_ = document.getElementById('search');
        this.list_ = new AlertList();
        this.ids_ = new Map();  // id -> alert object in the list (status updates apply in place)
        this.level_ = 'ALL';
        this.q_ = '';
        this.status_filter_ = 'open';
        this.rev_ = 0;  // bumped when alerts change in place, so recycled rows refill
        this.next_ = null;  // cursor for older pages, or {until} after trimming
        this.loading_ = false;
        this.reloading_ = false;
        this.retry_at_ = 0;
        this.loaded_once_ = false;
        this.generation_ = 0;
        this.pending_ = [];
        this.pool_ = [];
        this.visible_ = false;
        this.selected_id_ = null;
        this.total_ = 0;
        this.frame_ = 0;
        this.error_ = '';

        for (const level of ['ALL', ...kLevels]) {
            const chip = el('button', `chip ${level === 'ALL' ? '' : level_class(level)}`, kChipLabels[level]);
            chip.dataset.level = level;
            chip.type = 'button';
            chip.setAttribute('aria-pressed', level === 'ALL' ? 'true' : 'false');
            if (level === 'ALL') chip.classList.add('active');
            chip.addEventListener('click', () => this.set_level_(level));
            this.chips_.appendChild(chip);
        }
        let debounce = null;
        this.search_.addEventListener('input', () => {
            clearTimeout(debounce);
            debounce = setTimeout(() => this.set_query_(this.search_.value.trim()), 250);
        });
        this.search_.addEventListener('keydown', (ev) => {
            if (ev.key === 'Enter') {
                clearTimeout(debounce);
                this.set_query_(this.search_.value.trim());
            }
        });
        this.status_select_ = document.getElementById('status-filter');
        this.status_select_.value = this.status_filter_;
        this.status_select_.addEventListener('change', () => this.set_status_(this.status_select_.value));
        this.viewport_.addEventListener('scroll', () => this.schedule_(), { passive: true });
        this.viewport_.addEventListener('keydown', (ev) => {
            if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
                ev.preventDefault();
                this.move_selection_(ev.key === 'ArrowDown' ? 1 : -1);
            }
        });
        new ResizeObserver(() => this.schedule_()).observe(this.viewport_);
    }

    set_total(total) {
        this.total_ = Number(total) || 0;
        this.update_count_();
    }

    show() {
        this.visible_ = true;
        this.flush_();
        this.schedule_();
    }

    hide() {
        this.visible_ = false;
    }

    // Live alerts (any order within the batch); applied at the next animation frame.
    add_alerts(alerts) {
        for (const a of alerts) this.pending_.push(a);
        if (this.pending_.length > kMaxRows) this.pending_.splice(0, this.pending_.length - kMaxRows);
        this.schedule_();
    }

    // Reloads the first page for the current filter (initial load, filter change, resync).
    async reload() {
        const gen = ++this.generation_;
        this.loading_ = true;
        this.reloading_ = true;  // live alerts wait in pending_ until the new page is in
        this.error_ = '';
        this.update_status_();
        try {
            const page = await fetch_alerts({ level: this.level_, q: this.q_, status: this.status_filter_, limit: kPageSize });
            if (gen !== this.generation_) return;
            this.list_ = new AlertList();
            this.ids_.clear();
            for (const a of page.alerts || []) this.add_older_(a);
            this.next_ = page.next || null;
            this.loaded_once_ = true;
            this.viewport_.scrollTop = 0;
            // Live alerts that raced the request: those not in the page are newer.
        } catch (err) {
            if (gen !== this.generation_) return;
            this.error_ = `Could not load alerts (${err.message})`;
        } finally {
            if (gen === this.generation_) {
                this.loading_ = false;
                this.reloading_ = false;
            }
        }
        this.flush_();
        this.schedule_();
    }

    set_level_(level) {
        this.level_ = level;
        for (const chip of this.chips_.children) {
            chip.classList.toggle('active', chip.dataset.level === level);
            chip.setAttribute('aria-pressed', chip.dataset.level === level ? 'true' : 'false');
        }
        this.reload();
        this.on_filter_();
    }

    set_query_(q) {
        if (q === this.q_) return;
        this.q_ = q;
        this.reload();
        this.on_filter_();
    }

    set_status_(status) {
        if (status === this.status_filter_) return;
        this.status_filter_ = status;
        this.status_select_.value = status;
        this.reload();
        this.on_filter_();
    }

    // The filter shared with the grouped view.
    filter() {
        return { level: this.level_, q: this.q_, status: this.status_filter_ };
    }

    // WS "alert_update" with per-alert updates: applied to the loaded alerts in place.
    apply_updates(updates) {
        let changed = 0;
        for (const u of updates || []) {
            const a = this.ids_.get(u.id);
            if (!a) continue;
            for (const k of ['status', 'ack_by', 'ack_at', 'resolved_by', 'resolved_at']) if (k in u) a[k] = u[k];
            changed++;
        }
        if (changed > 0) {
            this.rev_++;
            this.schedule_();
        }
        return changed;
    }

    // WS "alert_update" for a whole group: every loaded alert of it not yet in that state.
    apply_group_update(group, status, by, at) {
        let changed = 0;
        for (const a of this.ids_.values()) {
            if (a.category !== group.category || (a.src || '') !== (group.src || '')) continue;
            const cur = a.status || 'new';
            if (cur === 'resolved' || cur === status) continue;
            if (!a.ack_by) {
                a.ack_by = by || null;
                a.ack_at = at || null;
            }
            if (status === 'resolved') {
                a.resolved_by = by || null;
                a.resolved_at = at || null;
            }
            a.status = status;
            changed++;
        }
        if (changed > 0) {
            this.rev_++;
            this.schedule_();
        }
        return changed;
    }

    // The loaded alert with this id (the detail pane re-reads it after an update).
    get(id) {
        return this.ids_.get(id);
    }

    add_older_(a) {
        if (a.id) {
            if (this.ids_.has(a.id)) return;
            this.ids_.set(a.id, a);
        }
        this.list_.append_older(a);
    }

    async load_older_() {
        if (this.loading_ || !this.next_ || Date.now() < this.retry_at_) return;
        const gen = this.generation_;
        this.loading_ = true;
        this.update_status_();
        try {
            const args = { level: this.level_, q: this.q_, status: this.status_filter_, limit: kPageSize };
            if (typeof this.next_ === 'string') args.before = this.next_;
            else args.until = this.next_.until;
            const page = await fetch_alerts(args);
            if (gen !== this.generation_) return;
            for (const a of page.alerts || []) this.add_older_(a);
            this.next_ = page.next || null;
            this.error_ = '';
        } catch (err) {
            if (gen === this.generation_) {
                this.error_ = `Could not load older alerts (${err.message})`;
                this.retry_at_ = Date.now() + 5000;  // no request storm while scrolled to the end
                setTimeout(() => this.schedule_(), 5100);
            }
        } finally {
            if (gen === this.generation_) this.loading_ = false;
        }
        this.schedule_();
    }

    schedule_() {
        if (this.frame_) return;
        this.frame_ = requestAnimationFrame(() => {
            this.frame_ = 0;
            this.flush_();
            if (this.visible_) this.render_();
        });
    }

    // Moves pending live alerts into the list: one batch per frame however fast they arrive.
    flush_() {
        if (this.pending_.length === 0 || !this.loaded_once_ || this.reloading_) return;
        const batch = this.pending_;
        this.pending_ = [];
        let added = 0;
        // Oldest first so the newest ends up on top.
        batch.sort((a, b) => String(a.received_at || a.ts || '').localeCompare(String(b.received_at || b.ts || '')));
        for (const a of batch) {
            if (!alert_passes(a, this.filter())) continue;
            if (a.id) {
                if (this.ids_.has(a.id)) continue;
                this.ids_.set(a.id, a);
            }
            this.list_.prepend_newer(a);
            added++;
        }
        if (this.list_.length > kMaxRows) {
            const dropped = this.list_.drop_oldest(this.list_.length - kMaxRows);
            for (const a of dropped) if (a.id) this.ids_.delete(a.id);
            const oldest = this.list_.at(this.list_.length - 1);
            this.next_ = oldest ? { until: oldest.ts || oldest.received_at } : null;
        }
        // Keep what the operator is reading in place unless they are at the top.
        if (added > 0 && this.visible_ && this.viewport_.scrollTop > 0) {
            this.spacer_.style.height = `${this.list_.length * kRowHeight}px`;
            this.viewport_.scrollTop += added * kRowHeight;
        }
    }

    render_() {
        const n = this.list_.length;
        this.spacer_.style.height = `${n * kRowHeight}px`;
        const view_h = this.viewport_.clientHeight || 600;
        const top = this.viewport_.scrollTop;
        const first = Math.max(0, Math.floor(top / kRowHeight) - kOverscan);
        const count = Math.ceil(view_h / kRowHeight) + 2 * kOverscan;
        while (this.pool_.length < count) this.pool_.push(this.make_row_());
        for (let j = 0; j < this.pool_.length; j++) {
            const row = this.pool_[j];
            const i = first + j;
            if (j >= count || i >= n) {
                if (!row.node.hidden) row.node.hidden = true;
                row.alert = null;
                continue;
            }
            const a = this.list_.at(i);
            if (row.alert !== a || row.rev !== this.rev_) {
                this.fill_row_(row, a);
                row.alert = a;
                row.rev = this.rev_;
            }
            row.node.hidden = false;
            row.node.style.transform = `translateY(${i * kRowHeight}px)`;
            row.node.classList.toggle('sel', !!a.id && a.id === this.selected_id_);
        }
        this.empty_.hidden = n > 0 || !this.loaded_once_ || this.loading_;
        this.update_count_();
        this.update_status_();
        if (first + count >= n - kOverscan * 4 && this.next_ && !this.loading_) this.load_older_();
    }

    make_row_() {
        const node = el('div', 'row');
        const cells = {
            lvl: el('span', 'lvl'),
            time: el('span', 'time'),
            cat: el('span', 'cat'),
            msg: el('span', 'msg'),
            src: el('span', 'src'),
            host: el('span', 'host'),
            status: el('span', 'astatus'),
        };
        const lvl_cell = el('span');
        lvl_cell.appendChild(cells.lvl);
        node.append(lvl_cell, cells.time, cells.cat, cells.msg, cells.src, cells.host, cells.status);
        node.hidden = true;
        const row = { node, cells, alert: null };
        node.addEventListener('click', () => {
            if (!row.alert) return;
            this.selected_id_ = row.alert.id || null;
            this.on_select_(row.alert);
            this.viewport_.focus({ preventScroll: true });
            this.schedule_();
        });
        this.viewport_.appendChild(node);
        return row;
    }

    fill_row_(row, a) {
        row.node.className = `row ${level_class(a.level)} ${a.level === 'CRITICAL' ? 'CRITICAL' : ''}`;
        row.node.dataset.id = a.id || '';
        row.cells.lvl.textContent = a.level || '';
        row.cells.time.textContent = feed_time(a.ts || a.received_at);
        row.cells.cat.textContent = a.category || '';
        row.cells.msg.textContent = a.message || '';
        row.node.title = a.message || '';
        row.cells.src.textContent = a.src || '—';
        row.cells.host.textContent = a.hostname || '';
        const status = a.status || 'new';
        row.node.dataset.status = status;
        row.cells.status.textContent = kStatusShort[status] || status.toUpperCase();
        row.cells.status.className = `astatus st-${status}`;
        row.cells.status.title = status_who(a);
    }

    // Arrow keys walk the list and keep the detail pane on the selected alert.
    move_selection_(delta) {
        const n = this.list_.length;
        if (n === 0) return;
        let i = -1;
        if (this.selected_id_) {
            for (let k = 0; k < n; k++) {
                if (this.list_.at(k).id === this.selected_id_) {
                    i = k;
                    break;
                }
            }
        }
        i = Math.min(n - 1, Math.max(0, i < 0 ? 0 : i + delta));
        const a = this.list_.at(i);
        this.selected_id_ = a.id || null;
        this.on_select_(a);
        const h = this.viewport_.clientHeight;
        if (i * kRowHeight < this.viewport_.scrollTop) this.viewport_.scrollTop = i * kRowHeight;
        else if ((i + 1) * kRowHeight > this.viewport_.scrollTop + h) this.viewport_.scrollTop = (i + 1) * kRowHeight - h;
        this.schedule_();
    }

    clear_selection() {
        this.selected_id_ = null;
        this.schedule_();
    }

    update_count_() {
        const n = this.list_.length;
        const filtered = this.level_ !== 'ALL' || this.q_;
        if (!filtered && this.total_ >= n) {
            this.count_.textContent = `${fmt_int(this.total_)} EVENTS STORED · ${fmt_int(n)} LOADED`;
        } else {
            this.count_.textContent = `${fmt_int(n)}${this.next_ ? '+' : ''} EVENTS MATCH`;
        }
    }

    update_status_() {
        let text;
        if (this.error_) text = this.error_;
        else if (this.loading_) text = 'LOADING…';
        else if (this.next_) text = 'SCROLL FOR OLDER ALERTS';
        else text = this.list_.length > 0 ? 'END OF STORED ALERTS' : '';
        if (this.status_.textContent !== text) this.status_.textContent = text;
    }
}

// "acknowledged by admin at …; resolved by bob at …" (empty for a new alert).
export function status_who(a) {
    const parts = [];
    if (a.ack_by) parts.push(`acknowledged by ${a.ack_by} at ${date_time(a.ack_at)}`);
    if (a.resolved_by) parts.push(`resolved by ${a.resolved_by} at ${date_time(a.resolved_at)}`);
    return parts.join('; ');
}

// "10.0.0.1:4444 → 10.0.0.2:22 (TCP)"
export function flow_text(f) {
    if (!f || typeof f !== 'object') return '';
    const proto = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 58: 'ICMPv6' }[f.proto] || `proto ${f.proto}`;
    const ep = (ip, port) => (String(ip || '').includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);
    return `${ep(f.src_ip, f.src_port)} → ${ep(f.dest_ip, f.dest_port)} (${proto})`;
}

export function render_detail(container, a) {
    clear(container);
    const fields = [
        ['LEVEL', a.level],
        ['STATUS', (a.status || 'new').toUpperCase()],
        ['ACKNOWLEDGED', a.ack_by ? `${a.ack_by} · ${date_time(a.ack_at)}` : ''],
        ['RESOLVED', a.resolved_by ? `${a.resolved_by} · ${date_time(a.resolved_at)}` : ''],
        ['CATEGORY', a.category],
        ['TIMESTAMP (EVENT)', a.ts],
        ['RECEIVED', a.received_at],
        ['SOURCE', a.src || '—'],
        ['FLOW', flow_text(a.flow)],
        ['AGENT ID', a.agent_id],
        ['HOSTNAME', a.hostname],
        ['ALERT ID', a.id],
        ['MESSAGE', a.message],
    ];
    for (const [name, value] of fields) {
        container.appendChild(el('dt', '', name));
        const dd = el('dd', name === 'LEVEL' ? level_class(a.level) : '', value === undefined || value === null || value === '' ? '—' : value);
        if (name === 'LEVEL') dd.style.color = 'var(--lc)';
        dd.dataset.field = name;
        container.appendChild(dd);
    }
}
