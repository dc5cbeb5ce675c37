// The Manage area besides the rules: users (admin), the caller's API tokens (any role; an admin
// sees every token) and the audit log (admin, paged newest first with the server's cursor).
import { api } from './api.js';
import { button, confirm_dialog, show_error, toast } from './ui.js';
import { clear, date_time, el } from './util.js';

const $ = (id) => document.getElementById(id);
const kAuditPage = 50;

// The server's rules for a new user, so a typo is caught before the round trip.
export function validate_user_form({ name, password, role }) {
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(name || '')) return { field: 'name', error: 'name: 1-64 characters of A-Z a-z 0-9 _ . -' };
    if (typeof password !== 'string' || password.length < 10) return { field: 'password', error: 'password: at least 10 characters' };
    if (role !== 'admin' && role !== 'viewer') return { field: 'role', error: 'role: expected admin or viewer' };
    return { body: { name, password, role } };
}

export class Users {
    constructor() {
        this.me_ = '';
        this.body_ = $('users-body');
        $('user-form').addEventListener('submit', (ev) => {
            ev.preventDefault();
            this.add_();
        });
    }

    set_me(name) {
        this.me_ = name;
    }

    async load() {
        try {
            const res = await api('/api/users');
            this.render_(res.users || []);
        } catch (err) {
            show_error(err, 'Could not load the users');
        }
    }

    render_(users) {
        clear(this.body_);
        for (const u of users) {
            const tr = el('tr');
            tr.dataset.user = u.name;
            const actions = el('td');
            if (u.name !== this.me_) actions.appendChild(button('DELETE', () => this.delete_(u.name), { cls: 'danger', title: `Delete user ${u.name}`, admin: true }));
            else actions.appendChild(el('span', 'muted', 'you'));
            tr.append(el('td', '', u.name), el('td', `role-cell ${u.role}`, u.role), el('td', '', date_time(u.created_at)), actions);
            this.body_.appendChild(tr);
        }
    }

    async add_() {
        const error = $('user-form-error');
        const fields = { name: $('user-new-name'), password: $('user-new-pass'), role: $('user-new-role') };
        for (const input of Object.values(fields)) input.removeAttribute('aria-invalid');
        error.textContent = '';
        const v = validate_user_form({ name: fields.name.value.trim(), password: fields.password.value, role: fields.role.value });
        if (v.error) {
            error.textContent = v.error;
            fields[v.field].setAttribute('aria-invalid', 'true');
            fields[v.field].focus();
            return;
        }
        try {
            await api('/api/users', { method: 'POST', body: v.body });
            fields.name.value = '';
            fields.password.value = '';
            toast(`User ${v.body.name} (${v.body.role}) created`);
            await this.load();
        } catch (err) {
            error.textContent = err.message;
            show_error(err, 'User not created');
        }
    }

    async delete_(name) {
        if (!(await confirm_dialog(`Delete user ${name}? Their sessions and API tokens stop working at once.`, 'DELETE'))) return;
        try {
            await api(`/api/users/${encodeURIComponent(name)}`, { method: 'DELETE' });
            toast(`User ${name} deleted`);
            await this.load();
        } catch (err) {
            show_error(err, 'User not deleted');
        }
    }
}

export class Tokens {
    constructor() {
        this.body_ = $('tokens-body');
        this.empty_ = $('tokens-empty');
        $('token-form').addEventListener('submit', (ev) => {
            ev.preventDefault();
            this.create_();
        });
        $('token-copy').addEventListener('click', () => this.copy_());
        $('token-secret-close').addEventListener('click', () => this.hide_secret_());
        $('password-form').addEventListener('submit', (ev) => {
            ev.preventDefault();
            this.change_password_();
        });
    }

    // Forgets what the previous user saw (called on logout).
    reset() {
        this.hide_secret_();
        clear(this.body_);
        $('password-old').value = '';
        $('password-new').value = '';
    }

    async change_password_() {
        const old_input = $('password-old');
        const new_input = $('password-new');
        const error = $('password-error');
        error.textContent = '';
        new_input.removeAttribute('aria-invalid');
        if (new_input.value.length < 10) {
            error.textContent = 'new: at least 10 characters';
            new_input.setAttribute('aria-invalid', 'true');
            new_input.focus();
            return;
        }
        try {
            await api('/api/me/password', { method: 'POST', body: { old: old_input.value, new: new_input.value } });
            old_input.value = '';
            new_input.value = '';
            toast('Password changed');
        } catch (err) {
            error.textContent = err.message;
            show_error(err, 'Password not changed');
        }
    }

    async load() {
        try {
            const res = await api('/api/tokens');
            this.render_(res.tokens || []);
        } catch (err) {
            show_error(err, 'Could not load the API tokens');
        }
    }

    render_(tokens) {
        clear(this.body_);
        for (const t of tokens) {
            const tr = el('tr');
            tr.dataset.tokenId = String(t.id);
            const actions = el('td');
            actions.appendChild(button('REVOKE', () => this.revoke_(t), { cls: 'danger', title: `Revoke token ${t.name}` }));
            tr.append(el('td', '', t.id), el('td', '', t.name), el('td', '', t.user), el('td', '', t.role), el('td', '', date_time(t.created_at)), el('td', '', t.last_used ? date_time(t.last_used) : 'never'), actions);
            this.body_.appendChild(tr);
        }
        this.empty_.hidden = tokens.length > 0;
    }

    async create_() {
        const input = $('token-new-name');
        const error = $('token-form-error');
        const name = input.value.trim();
        error.textContent = '';
        input.removeAttribute('aria-invalid');
        if (name.length < 1 || name.length > 64) {
            error.textContent = 'name: 1-64 characters';
            input.setAttribute('aria-invalid', 'true');
            input.focus();
            return;
        }
        try {
            const res = await api('/api/tokens', { method: 'POST', body: { name } });
            input.value = '';
            // The secret exists only in this response: shown once, never stored by the page.
            $('token-secret').value = res.token || '';
            $('token-secret-box').hidden = false;
            $('token-secret').focus();
            $('token-secret').select();
            await this.load();
        } catch (err) {
            error.textContent = err.message;
            show_error(err, 'Token not created');
        }
    }

    async copy_() {
        const input = $('token-secret');
        input.select();
        try {
            await navigator.clipboard.writeText(input.value);
            toast('Token copied to the clipboard');
        } catch (err) {
            // Clipboard access can be refused; the selected text can still be copied by hand.
            toast('Copy refused by the browser: the token is selected, press Ctrl+C', 'L-MEDIUM');
        }
    }

    hide_secret_() {
        $('token-secret').value = '';
        $('token-secret-box').hidden = true;
    }

    async revoke_(t) {
        if (!(await confirm_dialog(`Revoke API token "${t.name}" of ${t.user}? Programs using it lose access at once.`, 'REVOKE'))) return;
        try {
            await api(`/api/tokens/${encodeURIComponent(t.id)}`, { method: 'DELETE' });
            toast(`Token ${t.name} revoked`);
            await this.load();
        } catch (err) {
            show_error(err, 'Token not revoked');
        }
    }
}

export class Audit {
    constructor() {
        this.body_ = $('audit-body');
        this.cursors_ = [null];  // cursor of each page shown so far; the last is the current page
        this.next_ = null;
        $('audit-newest').addEventListener('click', () => this.load());
        $('audit-older').addEventListener('click', () => this.older_());
    }

    async load() {
        this.cursors_ = [null];
        await this.fetch_(null);
    }

    async older_() {
        if (!this.next_) return;
        this.cursors_.push(this.next_);
        await this.fetch_(this.next_);
    }

    async fetch_(before) {
        const p = new URLSearchParams({ limit: String(kAuditPage) });
        if (before) p.set('before', before);
        try {
            const res = await api(`/api/audit?${p.toString()}`);
            this.next_ = res.next || null;
            this.render_(res.entries || []);
        } catch (err) {
            show_error(err, 'Could not load the audit log');
        }
    }

    render_(entries) {
        clear(this.body_);
        for (const e of entries) {
            const tr = el('tr', `audit-${e.action || ''}`);
            tr.append(el('td', '', date_time_s(e.ts)), el('td', '', e.user || '—'), el('td', '', e.ip || ''), el('td', 'action', e.action || ''), el('td', '', e.target || ''), el('td', 'detail-cell', e.detail || ''));
            this.body_.appendChild(tr);
        }
        if (entries.length === 0) {
            const tr = el('tr');
            const td = el('td', 'muted', 'No entries');
            td.colSpan = 6;
            tr.appendChild(td);
            this.body_.appendChild(tr);
        }
        $('audit-older').disabled = !this.next_;
        $('audit-page').textContent = `PAGE ${this.cursors_.length}${this.next_ ? '' : ' · OLDEST'}`;
    }
}

function date_time_s(iso) {
    const t = Date.parse(iso || '');
    if (Number.isNaN(t)) return '—';
    const d = new Date(t);
    const p = (n) => String(n).padStart(2, '0');
    return `${d.getFullYear()}-${p(d.getMonth() + 1)}-${p(d.getDate())} ${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}
