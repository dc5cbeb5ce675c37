// Shared UI pieces: toasts (alerts, confirmations and the server's JSON error text) and a modal
// confirmation built on <dialog> (keyboard: Tab between the buttons, Escape cancels).
import { AuthError } from './api.js';
import { el } from './util.js';

const kMaxToasts = 4;

// kind: a level class ("L-HIGH"), "ok" or "error". Errors stay a little longer.
export function toast(text, kind = 'ok') {
    const box = document.getElementById('toasts');
    const node = el('div', `toast ${kind}`, text);
    if (kind === 'error') node.setAttribute('role', 'alert');
    box.appendChild(node);
    while (box.children.length > kMaxToasts) box.firstChild.remove();
    const stay = kind === 'error' ? 6000 : 3700;
    setTimeout(() => node.classList.add('fade'), stay);
    setTimeout(() => node.remove(), stay + 500);
    return node;
}

// Shows what the server said ({"error": "..."}), e.g. a viewer's 403. A 401 already shows the
// login page, so it needs no toast.
export function show_error(err, what) {
    if (err instanceof AuthError) return;
    const text = err && err.message ? err.message : String(err);
    toast(what ? `${what}: ${text}` : text, 'error');
}

// Resolves true when the operator confirms.
export function confirm_dialog(text, ok_label = 'CONFIRM') {
    const dialog = document.getElementById('confirm-dialog');
    document.getElementById('confirm-text').textContent = text;
    document.getElementById('confirm-ok').textContent = ok_label;
    return new Promise((resolve) => {
        const done = () => {
            dialog.removeEventListener('close', done);
            resolve(dialog.returnValue === 'ok');
        };
        dialog.returnValue = '';
        dialog.addEventListener('close', done);
        dialog.showModal();
        document.getElementById('confirm-cancel').focus();
    });
}

// A small button; admin-only ones are hidden by CSS for viewers (the server refuses anyway).
export function button(label, on_click, { cls = '', title = '', admin = false } = {}) {
    const b = el('button', `btn small ${cls}${admin ? ' admin-only' : ''}`, label);
    b.type = 'button';
    if (title) {
        b.title = title;
        b.setAttribute('aria-label', title);
    }
    b.addEventListener('click', (ev) => {
        ev.stopPropagation();
        on_click(ev);
    });
    return b;
}
