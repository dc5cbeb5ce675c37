// Dashboard entry: login, tabs, top bar, the live channel and resync. Every request goes to the
// origin that served the page; nothing is loaded from anywhere else.
import { Agents } from './agents.js';
import { Analytics } from './analytics.js';
import { api, auth_events, AuthError } from './api.js';
import { Feed, render_detail } from './feed.js';
import { LiveChannel } from './live.js';
import { Overview } from './overview.js';
import { clock_text, el, fmt_int, level_class } from './util.js';

const $ = (id) => document.getElementById(id);
const kRefreshMs = 30000;  // re-read /api/state when pushes are quiet, so the gauge and timeline age
const kMaxToasts = 4;

class Dashboard {
    constructor() {
        this.tab_ = 'overview';
        this.unseen_ = 0;
        this.stats_ = null;
        this.last_state_ms_ = 0;
        this.running_ = false;
        this.overview_ = new Overview((a) => this.open_alert_(a));
        this.feed_ = new Feed({ on_select: (a) => this.show_detail_(a) });
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
            if (ev.key === 'Escape') this.hide_detail_();
        });
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
        $('user-name').textContent = (me && me.user) || '—';
        if (!this.running_) {
            this.running_ = true;
            this.live_.start();
        }
        this.select_tab_(this.tab_);
    }

    show_login_(message) {
        this.running_ = false;
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
            this.enter_(res);
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
        this.overview_.load_history().catch(() => {});
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
            default:
                break;
        }
    }

    on_alerts_(alerts) {
        if (alerts.length === 0) return;
        this.feed_.add_alerts(alerts);
        this.overview_.add_alerts(alerts);
        if (this.tab_ !== 'feed') {
            this.unseen_ += alerts.length;
            const badge = $('unseen');
            badge.textContent = this.unseen_ > 99 ? '99+' : String(this.unseen_);
            badge.hidden = false;
        }
        const loud = alerts.filter((a) => a.level === 'CRITICAL' || a.level === 'HIGH');
        if (loud.length > 0) this.toast_(loud[0], loud.length - 1);
    }

    apply_stats_(stats) {
        if (!stats) return;
        this.stats_ = stats;
        $('top-alerts').textContent = fmt_int(Number(stats.total) || 0);
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
        this.tab_ = name;
        for (const tab of document.querySelectorAll('.tab')) tab.classList.toggle('active', tab.dataset.tab === name);
        for (const panel of document.querySelectorAll('.panel')) panel.hidden = panel.id !== `tab-${name}`;
        if (name === 'feed') {
            this.unseen_ = 0;
            $('unseen').hidden = true;
            this.feed_.show();
        } else {
            this.feed_.hide();
        }
        if (name === 'analytics') this.analytics_.show();
        else this.analytics_.hide();
    }

    show_detail_(a) {
        render_detail($('detail-fields'), a);
        $('detail').hidden = false;
    }

    hide_detail_() {
        $('detail').hidden = true;
        this.feed_.clear_selection();
    }

    open_alert_(a) {
        this.select_tab_('feed');
        this.show_detail_(a);
    }

    // One toast per batch (the newest loud alert), so a flood cannot bury the screen.
    toast_(a, more) {
        const box = $('toasts');
        const text = `[${a.level}] ${a.category || ''} — ${(a.message || '').slice(0, 86)}${more > 0 ? ` (+${more} more)` : ''}`;
        const node = el('div', `toast ${level_class(a.level)}`, text);
        box.appendChild(node);
        while (box.children.length > kMaxToasts) box.firstChild.remove();
        setTimeout(() => node.classList.add('fade'), 3700);
        setTimeout(() => node.remove(), 4200);
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
