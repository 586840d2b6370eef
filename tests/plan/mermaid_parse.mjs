// Parse Mermaid diagrams with the real Mermaid parser (the npm package pinned in
// package.json), offline, in one Node process.
//
// stdin: {"<name>": "<diagram text>", ...}
// stdout: {"<name>": {"ok": true, "type": "flowchart-v2"} | {"ok": false, "error": "..."}}
//
// Mermaid sanitises labels with DOMPurify, which needs a DOM: jsdom provides the window
// before Mermaid is imported. Used by tests/plan/mermaid_check.py.
import { JSDOM } from 'jsdom';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const diagrams = JSON.parse(Buffer.concat(chunks).toString('utf8'));

globalThis.window = new JSDOM('').window;
const { default: mermaid } = await import('mermaid');
mermaid.initialize({ startOnLoad: false, securityLevel: 'strict' });

const results = {};
for (const [name, text] of Object.entries(diagrams)) {
  try {
    const parsed = await mermaid.parse(text);
    results[name] = { ok: true, type: parsed.diagramType };
  } catch (error) {
    results[name] = { ok: false, error: String(error.message ?? error) };
  }
}
process.stdout.write(JSON.stringify(results));
