// Collects the dashboard (hand-written files in app/ plus uPlot and fonts from node_modules),
// puts every file except index.html under /assets/<content hash>/ so it can be cached forever,
// and writes (1) a C++ source with the embedded files and (2) the same tree on disk for tests.
//
// Usage: node embed.mjs --app <dir> --modules <node_modules> --cc <out.cc> --dist <dir>
// Runs on Node 18 (Debian 12): only node: built-ins, no newer APIs.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

function parse_args(argv) {
    const out = {};
    for (let i = 2; i < argv.length; i += 2) {
        if (!argv[i].startsWith('--') || i + 1 >= argv.length) {
            throw new Error(`bad argument ${argv[i]}`);
        }
        out[argv[i].slice(2)] = argv[i + 1];
    }
    for (const key of ['app', 'modules', 'cc', 'dist']) {
        if (!out[key]) throw new Error(`missing --${key}`);
    }
    return out;
}

// Third-party files: [path inside node_modules, path under the hashed assets folder].
const kVendor = [
    ['uplot/dist/uPlot.iife.min.js', 'vendor/uPlot.iife.min.js'],
    ['uplot/dist/uPlot.min.css', 'vendor/uPlot.min.css'],
    ['uplot/LICENSE', 'vendor/uPlot.LICENSE.txt'],
    ['@fontsource/vt323/files/vt323-latin-400-normal.woff2', 'fonts/vt323-400.woff2'],
    ['@fontsource/vt323/files/vt323-latin-ext-400-normal.woff2', 'fonts/vt323-ext-400.woff2'],
    ['@fontsource/courier-prime/files/courier-prime-latin-400-normal.woff2', 'fonts/courier-prime-400.woff2'],
    ['@fontsource/courier-prime/files/courier-prime-latin-700-normal.woff2', 'fonts/courier-prime-700.woff2'],
    ['@fontsource/courier-prime/files/courier-prime-latin-ext-400-normal.woff2', 'fonts/courier-prime-ext-400.woff2'],
    ['@fontsource/bebas-neue/files/bebas-neue-latin-400-normal.woff2', 'fonts/bebas-neue-400.woff2'],
    ['@fontsource/vt323/LICENSE', 'fonts/OFL-vt323.txt'],
    ['@fontsource/courier-prime/LICENSE', 'fonts/OFL-courier-prime.txt'],
    ['@fontsource/bebas-neue/LICENSE', 'fonts/OFL-bebas-neue.txt'],
];

const kTypes = {
    '.html': 'text/html; charset=utf-8',
    '.js': 'text/javascript; charset=utf-8',
    '.css': 'text/css; charset=utf-8',
    '.svg': 'image/svg+xml',
    '.woff2': 'font/woff2',
    '.txt': 'text/plain; charset=utf-8',
    '.json': 'application/json',
    '.png': 'image/png',
};

function walk(dir, prefix = '') {
    const out = [];
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
        const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
        if (entry.isDirectory()) {
            out.push(...walk(path.join(dir, entry.name), rel));
        } else if (entry.isFile()) {
            out.push(rel);
        }
    }
    return out;
}

function content_type(rel) {
    const type = kTypes[path.extname(rel)];
    if (!type) throw new Error(`no content type for ${rel}`);
    return type;
}

// A C++ string literal: printable ASCII stays readable; everything else becomes a 3-digit octal
// escape, which (unlike \x) can never swallow the next character. Split into short pieces so the
// generated file stays diff- and editor-friendly.
function cxx_literal(buf) {
    const lines = [];
    let line = '';
    for (const byte of buf) {
        let piece;
        if (byte === 0x22) piece = '\\"';
        else if (byte === 0x5c) piece = '\\\\';
        else if (byte === 0x3f) piece = '\\?';  // never form a trigraph
        else if (byte >= 0x20 && byte < 0x7f) piece = String.fromCharCode(byte);
        else if (byte === 0x0a) piece = '\\n';
        else piece = '\\' + byte.toString(8).padStart(3, '0');
        line += piece;
        if (line.length >= 96 || byte === 0x0a) {
            lines.push(`"${line}"`);
            line = '';
        }
    }
    if (line.length > 0 || lines.length === 0) lines.push(`"${line}"`);
    return lines.join('\n    ');
}

function main() {
    const args = parse_args(process.argv);
    const files = new Map();  // relative path -> Buffer
    for (const rel of walk(args.app)) {
        files.set(rel, fs.readFileSync(path.join(args.app, rel)));
    }
    for (const [from, to] of kVendor) {
        files.set(to, fs.readFileSync(path.join(args.modules, from)));
    }
    if (!files.has('index.html')) throw new Error('app/index.html is missing');

    const hash = createHash('sha256');
    for (const rel of [...files.keys()].sort()) {
        hash.update(rel).update('\0').update(files.get(rel)).update('\0');
    }
    const base = `/assets/${hash.digest('hex').slice(0, 12)}`;

    const assets = [];
    for (const [rel, body] of files) {
        if (rel === 'index.html') {
            const html = body.toString('utf8').split('{{ASSETS}}').join(base);
            assets.push({ url: '/index.html', rel, body: Buffer.from(html), immutable: false });
        } else {
            assets.push({ url: `${base}/${rel}`, rel, body, immutable: true });
        }
    }
    assets.sort((a, b) => (a.url < b.url ? -1 : a.url > b.url ? 1 : 0));

    // The tree on disk, for the mock server and for looking at the build output.
    fs.rmSync(args.dist, { recursive: true, force: true });
    for (const a of assets) {
        const target = path.join(args.dist, a.url);
        fs.mkdirSync(path.dirname(target), { recursive: true });
        fs.writeFileSync(target, a.body);
    }

    let cc = '// Generated by src/web/tools/embed.mjs from src/web/app and node_modules. Do not edit.\n';
    cc += '#include "web/assets_table.h"\n\nnamespace sentinel::web::detail {\n\n';
    cc += `const Asset kAssets[] = {\n`;
    for (const a of assets) {
        cc += `  {"${a.url}", "${content_type(a.rel)}",\n    std::string_view(${cxx_literal(a.body)},\n    ${a.body.length}), ${a.immutable}},\n`;
    }
    cc += '};\n\n';
    cc += `const std::size_t kAssetCount = ${assets.length};\n\n}  // namespace sentinel::web::detail\n`;
    fs.mkdirSync(path.dirname(args.cc), { recursive: true });
    fs.writeFileSync(args.cc, cc);
}

try {
    main();
} catch (err) {
    console.error(`embed: ${err.message}`);
    process.exit(1);
}
