// Just enough PNG decoding (8-bit RGB/RGBA, non-interlaced, as Chromium writes screenshots) to
// tell a real screenshot from a blank one.
import zlib from 'node:zlib';

export function decode_png(buf) {
    const sig = '89504e470d0a1a0a';
    if (buf.subarray(0, 8).toString('hex') !== sig) throw new Error('not a PNG');
    let pos = 8;
    let width = 0;
    let height = 0;
    let channels = 0;
    const idat = [];
    while (pos < buf.length) {
        const len = buf.readUInt32BE(pos);
        const type = buf.subarray(pos + 4, pos + 8).toString('ascii');
        const data = buf.subarray(pos + 8, pos + 8 + len);
        if (type === 'IHDR') {
            width = data.readUInt32BE(0);
            height = data.readUInt32BE(4);
            const depth = data[8];
            const color = data[9];
            if (depth !== 8 || data[12] !== 0 || (color !== 2 && color !== 6)) throw new Error('unsupported PNG');
            channels = color === 6 ? 4 : 3;
        } else if (type === 'IDAT') {
            idat.push(data);
        } else if (type === 'IEND') {
            break;
        }
        pos += 12 + len;
    }
    const raw = zlib.inflateSync(Buffer.concat(idat));
    const stride = width * channels;
    const out = Buffer.alloc(height * stride);
    for (let y = 0; y < height; y++) {
        const filter = raw[y * (stride + 1)];
        const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
        for (let x = 0; x < stride; x++) {
            const a = x >= channels ? out[y * stride + x - channels] : 0;
            const b = y > 0 ? out[(y - 1) * stride + x] : 0;
            const c = x >= channels && y > 0 ? out[(y - 1) * stride + x - channels] : 0;
            let v = line[x];
            if (filter === 1) v += a;
            else if (filter === 2) v += b;
            else if (filter === 3) v += (a + b) >> 1;
            else if (filter === 4) {
                const p = a + b - c;
                const pa = Math.abs(p - a);
                const pb = Math.abs(p - b);
                const pc = Math.abs(p - c);
                v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
            }
            out[y * stride + x] = v & 0xff;
        }
    }
    return { width, height, channels, pixels: out };
}

// Distinct colours and the share of pixels that differ clearly from the page background.
export function png_stats(buf, background = [5, 8, 0]) {
    const { width, height, channels, pixels } = decode_png(buf);
    const colours = new Set();
    let ink = 0;
    for (let i = 0; i < width * height; i++) {
        const r = pixels[i * channels];
        const g = pixels[i * channels + 1];
        const b = pixels[i * channels + 2];
        colours.add((r << 16) | (g << 8) | b);
        if (Math.abs(r - background[0]) + Math.abs(g - background[1]) + Math.abs(b - background[2]) > 60) ink++;
    }
    return { width, height, colours: colours.size, ink_ratio: ink / (width * height) };
}
