// HTTP calls to our own server (same origin, session cookie). A 401 from any call means the
// session is gone: listeners of 'auth-required' show the login page.

export class AuthError extends Error {}

export const auth_events = new EventTarget();

export async function api(path, { method = 'GET', body, signal } = {}) {
    const init = { method, credentials: 'same-origin', headers: { Accept: 'application/json' }, signal };
    if (body !== undefined) {
        init.headers['Content-Type'] = 'application/json';
        init.body = JSON.stringify(body);
    }
    const res = await fetch(path, init);
    if (res.status === 401 && path !== '/api/login') {
        auth_events.dispatchEvent(new Event('auth-required'));
        throw new AuthError('Unauthorized');
    }
    let data = null;
    const type = res.headers.get('Content-Type') || '';
    if (type.includes('json')) {
        data = await res.json().catch(() => null);
    }
    if (!res.ok) {
        const err = new Error((data && data.error) || `HTTP ${res.status}`);
        err.status = res.status;
        throw err;
    }
    return data;
}

// GET /api/alerts with the feed's filters; returns {alerts, next}.
export function fetch_alerts({ level, q, status, category, src, before, until, limit = 200 }, signal) {
    const p = new URLSearchParams();
    p.set('limit', String(limit));
    if (level && level !== 'ALL') p.set('level', level);
    if (q) p.set('q', q);
    if (status && status !== 'all') p.set('status', status);
    if (category !== undefined) p.set('category', category);
    if (src !== undefined) p.set('src', src);
    if (before) p.set('before', before);
    if (until) p.set('until', until);
    return api(`/api/alerts?${p.toString()}`, { signal });
}

// GET /api/alert-groups with the feed's filters; returns {groups}.
export function fetch_groups({ level, q, status, limit = 200 }, signal) {
    const p = new URLSearchParams();
    p.set('limit', String(limit));
    if (level && level !== 'ALL') p.set('level', level);
    if (q) p.set('q', q);
    if (status && status !== 'all') p.set('status', status);
    return api(`/api/alert-groups?${p.toString()}`, { signal });
}

// POST /api/alerts/ack|resolve for alert ids or a whole group; returns {ok, updated}.
export function set_alert_status(action, target) {
    const body = Array.isArray(target) ? { ids: target } : { group: { category: target.category, src: target.src } };
    return api(`/api/alerts/${action}`, { method: 'POST', body });
}
