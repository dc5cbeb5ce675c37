// Dashboard entry: login, tabs, top bar, the live channel and resync. Every request goes to the
// origin that served the page; nothing is loaded from anywhere else.
import { Audit, Tokens, Users } from './admin.js';
import { Agents } from './agents.js';
import { Analytics } from './analytics.js';
import { api, auth_events, AuthError, fetch_alerts, set_alert_status } from './api.js';
import { Feed, flow_text, render_detail, status_who } from './feed.js';
import { Groups } from './groups.js';
import { LiveChannel } from './live.js';
import { Overview } from './overview.js';
import { is_address_or_cidr, Rules, source_address } from './rules.js';
import { button, show_error, toast } from './ui.js';
import { clear, clock_text, el, feed_time, fmt_int, level_class } from './util.js';

const $ = (id) => document.getElementById(id);
const kRefreshMs = 30000;  // re-read /api/state when pushes are quiet, so the gauge and timeline age
const kModeKey = 'netsentinel.feed_mode';
const kGroupMembers = 50;

class Dashboard {
    constructor() {
        this.tab_ = 'overview';
        this.unseen_ = 0;
        this.stats_ = null;
        this.last_state_ms_ = 0;
        this.running_ = false;
        this.role_ = 'viewer';
        this.user_ = '';
        this.detail_ = null;  // {kind: 'alert', alert} or {kind: 'group', group}
        this.mode_ = localStorage.getItem(kModeKey) === 'flat' ? 'flat' : 'grouped';
        this.manage_sub_ = 'rules';
        this.prev_tab_ = 'overview';
        this.overview_ = new Overview((a) => this.open_alert_(a));
        this.feed_ = new Feed({ on_select: (a) => this.show_detail_(a), on_filter: () => this.groups_.reload() });
        this.groups_ = new Groups({
            get_filter: () => this.feed_.filter(),
            actions: {
                open: (g) => this.show_group_(g),
                ack: (g) => this.set_status_('ack', g),
                resolve: (g) => this.set_status_('resolve', g),
                suppress: (g) => this.suppress_from_(g),
            },
        });
        this.rules_ = new Rules({});
        this.users_ = new Users();
        this.tokens_ = new Tokens();
        this.audit_ = new Audit();
        this.agents_ = new Agents();
        this.analytics_ = new Analytics();
        this.live_ = new LiveChannel({
            on_open: () => this.resync_(),
            on_message: (msg) => this.on_message_(msg),
            on_status: (state, retry_ms) => this.set_conn_(state, retry_ms),
            should_retry: () => this.check_session_(),
        });

        for (const tab of document.querySelectorAll('.tab')) {
            tab.addEventListener('click', () => this.select_tab_(tab.dataset.tab));
        }
        $('detail-close').addEventListener('click', () => this.hide_detail_());
        document.addEventListener('keydown', (ev) => {
            if (ev.key === 'Escape' && !document.querySelector('dialog[open]')) this.hide_detail_();
        });
        $('feed-mode-grouped').addEventListener('click', () => this.set_mode_('grouped'));
        $('feed-mode-flat').addEventListener('click', () => this.set_mode_('flat'));
        $('open-manage').addEventListener('click', () => (this.tab_ === 'manage' ? this.select_tab_(this.prev_tab_) : this.select_tab_('manage')));
        $('manage-close').addEventListener('click', () => this.select_tab_(this.prev_tab_));
        $('suppressed-box').addEventListener('click', () => {
            this.select_tab_('manage');
            this.select_sub_('rules');
        });
        for (const sub of document.querySelectorAll('.subtab')) sub.addEventListener('click', () => this.select_sub_(sub.dataset.sub));
        this.show_mode_();
        $('export-json').addEventListener('click', () => this.export_('json'));
        $('export-csv').addEventListener('click', () => this.export_('csv'));
        $('logout').addEventListener('click', () => this.logout_());
        $('login-form').addEventListener('submit', (ev) => {
            ev.preventDefault();
            this.login_();
        });
        auth_events.addEventListener('auth-required', () => this.show_login_());

        const tick = () => {
            $('clock').textContent = clock_text(new Date());
        };
        tick();
        setInterval(tick, 1000);
        setInterval(() => {
            if (this.running_ && this.live_connected_ && Date.now() - this.last_state_ms_ > kRefreshMs) this.refresh_state_();
        }, 5000);
    }

    async start() {
        try {
            const me = await api('/api/me');
            this.enter_(me);
        } catch (err) {
            if (!(err instanceof AuthError)) this.show_login_(`Server unreachable (${err.message})`);
        }
    }

    enter_(me) {
        $('boot').hidden = true;
        $('login').hidden = true;
        $('app').hidden = false;
        this.user_ = (me && me.user) || '';
        this.role_ = me && me.role === 'admin' ? 'admin' : 'viewer';
        $('user-name').textContent = this.user_ || '—';
        $('user-role').textContent = this.role_.toUpperCase();
        // Write controls exist for admins only (CSS hides .admin-only); the server refuses anyway.
        document.body.classList.toggle('is-admin', this.role_ === 'admin');
        document.body.classList.toggle('is-viewer', this.role_ !== 'admin');
        this.users_.set_me(this.user_);
        if (this.role_ !== 'admin' && (this.manage_sub_ === 'users' || this.manage_sub_ === 'audit')) this.manage_sub_ = 'rules';
        if (!this.running_) {
            this.running_ = true;
            this.live_.start();
        }
        this.select_tab_(this.tab_);
    }

    show_login_(message) {
        this.running_ = false;
        // Nothing of the previous session stays on screen (a new token's secret above all).
        this.tokens_.reset();
        for (const d of document.querySelectorAll('dialog[open]')) d.close();
        this.hide_detail_();
        this.live_connected_ = false;
        this.live_.stop();
        $('boot').hidden = true;
        $('app').hidden = true;
        $('login').hidden = false;
        $('login-error').textContent = message || '';
        $('login-pass').value = '';
        $('login-user').focus();
    }

    async login_() {
        const button = $('login-submit');
        button.disabled = true;
        $('login-error').textContent = '';
        try {
            const res = await api('/api/login', {
                method: 'POST',
                body: { username: $('login-user').value, password: $('login-pass').value },
            });
            $('login-pass').value = '';
            this.enter_(res && res.role ? res : await api('/api/me'));
        } catch (err) {
            const text = err.status === 401 ? 'Invalid credentials' : err.status === 429 ? 'Too many attempts, try again later' : `Login failed (${err.message})`;
            $('login-error').textContent = text;
        } finally {
            button.disabled = false;
        }
    }

    async logout_() {
        try {
            await api('/api/logout', { method: 'POST' });
        } catch (err) {
            // The session is gone either way.
        }
        this.show_login_();
    }

    async check_session_() {
        if (!this.running_) return false;
        try {
            await api('/api/me');
            return true;
        } catch (err) {
            return !(err instanceof AuthError);
        }
    }

    set_conn_(state, retry_ms) {
        const node = $('conn');
        this.live_connected_ = state === 'online';
        node.className = `conn ${state}`;
        if (state === 'online') node.textContent = '● ONLINE';
        else if (state === 'connecting') node.textContent = '● CONNECTING';
        else node.textContent = retry_ms > 0 ? `● OFFLINE · RETRY ${Math.ceil(retry_ms / 1000)}s` : '● OFFLINE';
    }

    // After every (re)connect: the whole state again, so nothing missed while offline is lost.
    async resync_() {
        await this.refresh_state_();
        this.feed_.reload();
        this.groups_.reload();
        this.rules_.load();
        this.overview_.load_history().catch(() => {});
        if (this.tab_ === 'manage') this.load_sub_(this.manage_sub_);
    }

    async refresh_state_() {
        this.last_state_ms_ = Date.now();
        try {
            const state = await api('/api/state');
            this.apply_stats_(state.stats);
            this.apply_timeline_(state.timeline);
            this.apply_agents_(state.agents);
        } catch (err) {
            // Shown through the connection status; the next resync retries.
        }
    }

    on_message_(msg) {
        switch (msg.type) {
            case 'hello':
                if (msg.user) $('user-name').textContent = msg.user;
                break;
            case 'alerts':
                if (Array.isArray(msg.alerts)) this.on_alerts_(msg.alerts);
                break;
            case 'stats':
                this.last_state_ms_ = Date.now();
                this.apply_stats_(msg.stats);
                break;
            case 'timeline':
                this.apply_timeline_(msg.timeline);
                break;
            case 'agents':
                this.apply_agents_(msg.agents);
                break;
            case 'alert_update':
                this.on_alert_update_(msg);
                break;
            case 'suppressions':
                this.rules_.set_rules(msg.rules, msg.version);
                break;
            default:
                break;
        }
    }

    on_alerts_(alerts) {
        if (alerts.length === 0) return;
        this.feed_.add_alerts(alerts);
        this.groups_.add_alerts(alerts);
        this.overview_.add_alerts(alerts);
        if (this.detail_ && this.detail_.kind === 'group') {
            const g = this.detail_.group;
            if (alerts.some((a) => a.category === g.category && (a.src || '') === (g.src || ''))) this.refresh_group_detail_soon_();
        }
        if (this.tab_ !== 'feed') {
            this.unseen_ += alerts.length;
            const badge = $('unseen');
            badge.textContent = this.unseen_ > 99 ? '99+' : String(this.unseen_);
            badge.hidden = false;
        }
        const loud = alerts.filter((a) => a.level === 'CRITICAL' || a.level === 'HIGH');
        if (loud.length > 0) this.alert_toast_(loud[0], loud.length - 1);
    }

    apply_stats_(stats) {
        if (!stats) return;
        this.stats_ = stats;
        $('top-alerts').textContent = fmt_int(Number(stats.total) || 0);
        $('suppressed-total').textContent = fmt_int(Number(stats.suppressed_total) || 0);
        this.rules_.note_categories(stats.by_category);
        this.overview_.set_stats(stats);
        this.feed_.set_total(stats.total);
        this.analytics_.set_stats(stats);
    }

    apply_timeline_(timeline) {
        if (!Array.isArray(timeline)) return;
        this.overview_.set_timeline(timeline);
        this.analytics_.set_timeline(timeline);
    }

    apply_agents_(agents) {
        if (!Array.isArray(agents)) return;
        this.agents_.set_agents(agents);
        $('top-agents').textContent = String(this.agents_.online_count());
    }

    select_tab_(name) {
        if (name !== 'manage') this.prev_tab_ = name;
        const entering_manage = name === 'manage' && this.tab_ !== 'manage';
        this.tab_ = name;
        for (const tab of document.querySelectorAll('.tab')) {
            tab.classList.toggle('active', tab.dataset.tab === name);
            tab.setAttribute('aria-selected', tab.dataset.tab === name ? 'true' : 'false');
        }
        for (const panel of document.querySelectorAll('.panel')) panel.hidden = panel.id !== `tab-${name}`;
        $('open-manage').classList.toggle('active', name === 'manage');
        $('open-manage').setAttribute('aria-expanded', name === 'manage' ? 'true' : 'false');
        if (name === 'feed') {
            this.unseen_ = 0;
            $('unseen').hidden = true;
        }
        this.show_mode_();
        if (entering_manage) this.select_sub_(this.manage_sub_);
        if (name === 'analytics') this.analytics_.show();
        else this.analytics_.hide();
    }

    // Grouped or flat Live Feed; the choice is remembered in this browser.
    set_mode_(mode) {
        this.mode_ = mode;
        localStorage.setItem(kModeKey, mode);
        this.hide_detail_();
        this.show_mode_();
    }

    show_mode_() {
        const grouped = this.mode_ === 'grouped';
        $('feed-mode-grouped').setAttribute('aria-pressed', grouped ? 'true' : 'false');
        $('feed-mode-flat').setAttribute('aria-pressed', grouped ? 'false' : 'true');
        $('groups-wrap').hidden = !grouped;
        $('flat-wrap').hidden = grouped;
        const on_feed = this.tab_ === 'feed';
        if (on_feed && grouped) this.groups_.show();
        else this.groups_.hide();
        if (on_feed && !grouped) this.feed_.show();
        else this.feed_.hide();
    }

    select_sub_(sub) {
        if (this.role_ !== 'admin' && (sub === 'users' || sub === 'audit')) sub = 'rules';
        this.manage_sub_ = sub;
        for (const b of document.querySelectorAll('.subtab')) {
            b.classList.toggle('active', b.dataset.sub === sub);
            b.setAttribute('aria-selected', b.dataset.sub === sub ? 'true' : 'false');
        }
        for (const panel of document.querySelectorAll('.subpanel')) panel.hidden = panel.id !== `sub-panel-${sub}`;
        this.load_sub_(sub);
    }

    load_sub_(sub) {
        if (sub === 'rules') this.rules_.load();
        else if (sub === 'users') this.users_.load();
        else if (sub === 'tokens') this.tokens_.load();
        else if (sub === 'audit') this.audit_.load();
    }

    show_detail_(a) {
        this.detail_ = { kind: 'alert', alert: a };
        this.render_alert_detail_();
        $('detail').hidden = false;
    }

    render_alert_detail_() {
        const a = this.detail_.alert;
        $('detail-title').textContent = 'ALERT DETAIL';
        render_detail($('detail-fields'), a);
        clear($('detail-members'));
        const actions = $('detail-actions');
        clear(actions);
        const status = a.status || 'new';
        if (a.id && status === 'new') actions.appendChild(button('ACKNOWLEDGE', () => this.set_status_('ack', [a.id]), { cls: 'act-ack', title: 'Acknowledge this alert', admin: true }));
        if (a.id && status !== 'resolved') actions.appendChild(button('RESOLVE', () => this.set_status_('resolve', [a.id]), { cls: 'act-resolve', title: 'Resolve this alert', admin: true }));
        actions.appendChild(button('SUPPRESS…', () => this.suppress_from_(a), { cls: 'act-suppress', title: 'Create a suppression rule from this alert', admin: true }));
    }

    // A group in the detail pane: its figures, group-wide actions and its newest alerts, each
    // with who acknowledged or resolved it and its own buttons.
    show_group_(g) {
        this.detail_ = { kind: 'group', group: g };
        $('detail').hidden = false;
        this.render_group_detail_();
        this.load_group_members_();
    }

    render_group_detail_() {
        const g = this.detail_.group;
        $('detail-title').textContent = 'ALERT GROUP';
        const actions = $('detail-actions');
        clear(actions);
        actions.append(
            button('ACK ALL', () => this.set_status_('ack', g), { cls: 'act-ack', title: 'Acknowledge every alert of this group', admin: true }),
            button('RESOLVE ALL', () => this.set_status_('resolve', g), { cls: 'act-resolve', title: 'Resolve every alert of this group', admin: true }),
            button('SUPPRESS…', () => this.suppress_from_(g), { cls: 'act-suppress', title: 'Create a suppression rule from this group', admin: true }),
        );
        const dl = $('detail-fields');
        clear(dl);
        const fields = [
            ['LEVEL (HIGHEST)', g.level],
            ['CATEGORY', g.category],
            ['SOURCE', g.src || '—'],
            ['COUNT', fmt_int(Number(g.count) || 0)],
            ['OPEN', fmt_int(Number(g.open) || 0)],
            ['FIRST SEEN', g.first_ts],
            ['LAST SEEN', g.last_ts],
            ['AGENTS', fmt_int(Number(g.agents) || 0)],
            ['LAST MESSAGE', g.last_message],
        ];
        for (const [name, value] of fields) {
            dl.appendChild(el('dt', '', name));
            const dd = el('dd', name.startsWith('LEVEL') ? level_class(g.level) : '', value === undefined || value === null || value === '' ? '—' : value);
            if (name.startsWith('LEVEL')) dd.style.color = 'var(--lc)';
            dd.dataset.field = name;
            dl.appendChild(dd);
        }
    }

    async load_group_members_() {
        const g = this.detail_ && this.detail_.kind === 'group' ? this.detail_.group : null;
        if (!g) return;
        const box = $('detail-members');
        try {
            const page = await fetch_alerts({ category: g.category, src: g.src || '', limit: kGroupMembers });
            if (!this.detail_ || this.detail_.group !== g) return;
            clear(box);
            box.appendChild(el('div', 'card-title small', `NEWEST ${fmt_int((page.alerts || []).length)} ALERTS`));
            for (const a of page.alerts || []) box.appendChild(this.member_row_(a));
        } catch (err) {
            clear(box);
            box.appendChild(el('div', 'muted', `Could not load the group's alerts (${err.message})`));
        }
    }

    member_row_(a) {
        const status = a.status || 'new';
        const row = el('div', `member ${level_class(a.level)} st-${status}`);
        row.dataset.id = a.id || '';
        row.dataset.status = status;
        const head = el('div', 'member-head');
        head.append(el('span', 'lvl', a.level || ''), el('span', 'time', feed_time(a.ts || a.received_at)), el('span', `astatus st-${status}`, status.toUpperCase()));
        row.appendChild(head);
        row.appendChild(el('div', 'm', a.message || ''));
        const who = status_who(a);
        if (who) row.appendChild(el('div', 'who', who));
        const flow = flow_text(a.flow);
        if (flow) row.appendChild(el('div', 'who', flow));
        const actions = el('div', 'member-actions admin-only');
        if (a.id && status === 'new') actions.appendChild(button('ACK', () => this.set_status_('ack', [a.id]), { cls: 'act-ack', title: `Acknowledge alert ${a.id}`, admin: true }));
        if (a.id && status !== 'resolved') actions.appendChild(button('RESOLVE', () => this.set_status_('resolve', [a.id]), { cls: 'act-resolve', title: `Resolve alert ${a.id}`, admin: true }));
        if (actions.children.length > 0) row.appendChild(actions);
        return row;
    }

    refresh_group_detail_soon_() {
        clearTimeout(this.members_timer_);
        this.members_timer_ = setTimeout(() => {
            if (this.detail_ && this.detail_.kind === 'group') {
                const g = this.groups_.get(this.detail_.group.category, this.detail_.group.src);
                if (g) this.detail_.group = g;
                this.render_group_detail_();
                this.load_group_members_();
            }
        }, 300);
    }

    // POST /api/alerts/ack|resolve for alert ids or a group; the WS "alert_update" that follows
    // updates every open page, this one included.
    async set_status_(action, target) {
        const status = action === 'ack' ? 'acknowledged' : 'resolved';
        try {
            const res = await set_alert_status(action, target);
            const n = Number(res && res.updated) || 0;
            const what = Array.isArray(target) ? (target.length === 1 ? 'alert' : `${target.length} alerts`) : `group ${target.category} ${target.src || ''}`.trim();
            toast(`${status === 'resolved' ? 'Resolved' : 'Acknowledged'} ${what}: ${fmt_int(n)} updated`);
            // Applied here too, in case this page's live channel is down.
            const at = new Date().toISOString();
            if (Array.isArray(target)) {
                const updates = target.map((id) => ({ id, status, ...(status === 'resolved' ? { resolved_by: this.user_, resolved_at: at } : {}) }));
                for (const u of updates) {
                    const a = this.feed_.get(u.id) || (this.detail_ && this.detail_.alert && this.detail_.alert.id === u.id ? this.detail_.alert : null);
                    if (a && !a.ack_by) {
                        u.ack_by = this.user_;
                        u.ack_at = at;
                    }
                }
                this.on_alert_update_({ updates });
            } else {
                this.on_alert_update_({ group: { category: target.category, src: target.src }, status, by: this.user_, at });
            }
        } catch (err) {
            show_error(err, status === 'resolved' ? 'Not resolved' : 'Not acknowledged');
        }
    }

    on_alert_update_(msg) {
        if (Array.isArray(msg.updates)) {
            this.feed_.apply_updates(msg.updates);
            const d = this.detail_;
            if (d && d.kind === 'alert') {
                const u = msg.updates.find((x) => x.id === d.alert.id);
                if (u) {
                    for (const k of ['status', 'ack_by', 'ack_at', 'resolved_by', 'resolved_at']) if (k in u) d.alert[k] = u[k];
                    this.render_alert_detail_();
                }
            }
            if (d && d.kind === 'group') this.refresh_group_detail_soon_();
            this.groups_.reread_soon();
        } else if (msg.group && typeof msg.group === 'object') {
            this.feed_.apply_group_update(msg.group, msg.status, msg.by, msg.at);
            this.groups_.apply_group_update(msg.group, msg.status, msg.by, msg.at);
            const d = this.detail_;
            if (d && d.kind === 'alert' && d.alert.category === msg.group.category && (d.alert.src || '') === (msg.group.src || '')) this.render_alert_detail_();
            if (d && d.kind === 'group' && d.group.category === msg.group.category && (d.group.src || '') === (msg.group.src || '')) this.refresh_group_detail_soon_();
        }
    }

    // "Suppress…" from an alert or a group: the rule form, pre-filled with its category and
    // source address (the port of an "ip:port" source is left out; add it if wanted).
    suppress_from_(x) {
        const src = x.flow && x.flow.src_ip ? x.flow.src_ip : source_address(x.src);
        this.rules_.open_form({
            category: x.category || '',
            src: is_address_or_cidr(src) ? src : '',
            comment: '',
        });
    }

    hide_detail_() {
        $('detail').hidden = true;
        this.detail_ = null;
        this.feed_.clear_selection();
        this.groups_.clear_selection();
    }

    open_alert_(a) {
        this.select_tab_('feed');
        this.show_detail_(a);
    }

    // One toast per batch (the newest loud alert), so a flood cannot bury the screen.
    alert_toast_(a, more) {
        toast(`[${a.level}] ${a.category || ''} — ${(a.message || '').slice(0, 86)}${more > 0 ? ` (+${more} more)` : ''}`, level_class(a.level));
    }

    // The browser streams the download itself (no copy in page memory), with the session cookie.
    async export_(format) {
        try {
            await api('/api/me');
        } catch (err) {
            return;
        }
        const link = document.createElement('a');
        link.href = `/api/alerts/export?format=${encodeURIComponent(format)}`;
        link.download = `netsentinel-alerts.${format}`;
        document.body.appendChild(link);
        link.click();
        link.remove();
    }
}

new Dashboard().start();
