// The live channel: the browser's native WebSocket to /ws on our own origin, reconnecting with
// exponential backoff and jitter. The caller resyncs (/api/state) on every (re)connect.

const kMinDelayMs = 500;
const kMaxDelayMs = 15000;

export class LiveChannel {
    // handlers: {on_open(), on_message(msg), on_status(state, retry_ms), should_retry(): Promise<bool>}
    constructor(handlers) {
        this.handlers_ = handlers;
        this.ws_ = null;
        this.attempt_ = 0;
        this.timer_ = null;
        this.stopped_ = true;
    }

    start() {
        this.stopped_ = false;
        this.attempt_ = 0;
        this.connect_();
    }

    stop() {
        this.stopped_ = true;
        clearTimeout(this.timer_);
        this.timer_ = null;
        if (this.ws_) {
            const ws = this.ws_;
            this.ws_ = null;
            ws.onclose = null;
            ws.close();
        }
        this.handlers_.on_status('offline', 0);
    }

    connect_() {
        if (this.stopped_) return;
        this.handlers_.on_status('connecting', 0);
        const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
        let ws;
        try {
            ws = new WebSocket(`${scheme}://${location.host}/ws`);
        } catch (err) {
            this.schedule_();
            return;
        }
        this.ws_ = ws;
        ws.onopen = () => {
            this.attempt_ = 0;
            this.handlers_.on_status('online', 0);
            this.handlers_.on_open();
        };
        ws.onmessage = (ev) => {
            let msg;
            try {
                msg = JSON.parse(ev.data);
            } catch (err) {
                return;
            }
            if (msg && typeof msg === 'object') this.handlers_.on_message(msg);
        };
        ws.onclose = () => {
            if (this.ws_ !== ws) return;
            this.ws_ = null;
            this.schedule_();
        };
    }

    async schedule_() {
        if (this.stopped_) return;
        // A refused upgrade looks like any other close: ask the API whether the session is gone.
        const retry = await this.handlers_.should_retry().catch(() => true);
        if (!retry || this.stopped_) return;
        const base = Math.min(kMaxDelayMs, kMinDelayMs * 2 ** this.attempt_);
        const delay = Math.round(base * (0.75 + Math.random() * 0.5));
        this.attempt_ = Math.min(this.attempt_ + 1, 10);
        this.handlers_.on_status('offline', delay);
        this.timer_ = setTimeout(() => this.connect_(), delay);
    }
}
