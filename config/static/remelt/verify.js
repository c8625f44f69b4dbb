// The passport page's "Verify" button: the checks of remelt_verify.public, in the browser.
//
// It fetches the passport's public bundle (proof.json) and checks, with the browser's own
// WebCrypto (SHA-256, Ed25519) and RFC 8785 canonical JSON: the footprint's digest, its leaf in
// the anchor's Merkle tree (RFC 6962), the anchor entry's hash and payload digest, the entry's
// inclusion in the signed checkpoint, the checkpoint's Ed25519 signature (C2SP signed note) by
// the key this site publishes, and the cosignatures of the witnesses it names (C2SP
// tlog-cosignature). It says in words what it checked, or the first thing that failed.
"use strict";

(function () {
  const encoder = new TextEncoder();

  class Failed extends Error {}

  // RFC 8785 (JCS) for what the bundles hold: strings, integers, booleans, null, arrays and
  // objects. JCS serialises strings and numbers as ECMAScript's JSON.stringify does and sorts
  // object members by their UTF-16 code units, which is what Array.prototype.sort compares.
  function canonical(value) {
    if (value === null || typeof value === "boolean" || typeof value === "string") {
      return JSON.stringify(value);
    }
    if (typeof value === "number") {
      if (!Number.isSafeInteger(value)) throw new Failed("a number that is not an exact integer");
      return JSON.stringify(value);
    }
    if (Array.isArray(value)) return "[" + value.map(canonical).join(",") + "]";
    if (typeof value === "object") {
      const keys = Object.keys(value).sort();
      return "{" + keys.map((key) => JSON.stringify(key) + ":" + canonical(value[key])).join(",") + "}";
    }
    throw new Failed("a value that JSON cannot hold");
  }

  const bytes = (text) => encoder.encode(text);
  const concat = (...parts) => {
    const out = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
    let offset = 0;
    for (const part of parts) {
      out.set(part, offset);
      offset += part.length;
    }
    return out;
  };
  const hex = (data) => Array.from(data, (b) => b.toString(16).padStart(2, "0")).join("");
  const fromHex = (text, what) => {
    if (typeof text !== "string" || !/^[0-9a-f]{64}$/.test(text)) throw new Failed(`${what} is not a hash in hex`);
    return new Uint8Array(text.match(/../g).map((pair) => parseInt(pair, 16)));
  };
  const fromBase64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  const equal = (a, b) => a.length === b.length && a.every((value, i) => value === b[i]);

  async function sha256(data) {
    return new Uint8Array(await crypto.subtle.digest("SHA-256", data));
  }
  const leafHash = (data) => sha256(concat(new Uint8Array([0]), data));
  const nodeHash = (left, right) => sha256(concat(new Uint8Array([1]), left, right));

  // RFC 9162 §2.1.3.2: does `path` show that leaf `index` of the tree (size, root) is `leaf`?
  async function verifyInclusion(leaf, index, size, path, root) {
    if (!Number.isSafeInteger(index) || !Number.isSafeInteger(size) || index < 0 || index >= size) return false;
    let fn = index;
    let sn = size - 1;
    let node = leaf;
    for (const sibling of path) {
      if (sn === 0) return false;
      if (fn % 2 === 1 || fn === sn) {
        node = await nodeHash(sibling, node);
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      } else {
        node = await nodeHash(node, sibling);
      }
      fn = Math.floor(fn / 2);
      sn = Math.floor(sn / 2);
    }
    return sn === 0 && equal(node, root);
  }

  // A verifier key "<name>+<key ID>+<base64(algorithm || public key)>": its parts, ID checked.
  async function parseKey(text, algorithm) {
    // The base64 key may hold "+" itself: only the first two separate fields.
    const match = /^([^+]+)\+([0-9a-fA-F]{8})\+(.+)$/.exec(String(text));
    if (!match) throw new Failed(`the key ${text} is not <name>+<key ID>+<key>`);
    const [, name, id, encoded] = match;
    const raw = fromBase64(encoded);
    if (raw.length !== 33 || raw[0] !== algorithm) throw new Failed(`the key of ${name} is not an Ed25519 key`);
    const expected = (await sha256(concat(bytes(name + "\n"), raw))).slice(0, 4);
    if (hex(expected) !== id.toLowerCase()) throw new Failed(`the key ID of ${name} does not match its key`);
    const key = await crypto.subtle.importKey("raw", raw.slice(1), { name: "Ed25519" }, false, ["verify"]);
    return { name, id: expected, key };
  }

  // A signed note: its text (up to the last blank line) and its signature lines.
  function splitNote(note) {
    const split = note.lastIndexOf("\n\n");
    if (split < 0 || !note.endsWith("\n")) throw new Failed("the checkpoint is not a signed note");
    const signatures = note
      .slice(split + 2, -1)
      .split("\n")
      .map((line) => {
        const match = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/.exec(line);
        if (!match) throw new Failed(`the signature line ${line} is malformed`);
        const raw = fromBase64(match[2]);
        return { name: match[1], id: raw.slice(0, 4), rest: raw.slice(4) };
      });
    return { text: note.slice(0, split + 1), signatures };
  }

  async function checkpointOf(note, logKey, witnessKeys) {
    const { text, signatures } = splitNote(note);
    const log = await parseKey(logKey, 0x01);
    const mine = signatures.filter((s) => s.name === log.name && equal(s.id, log.id));
    if (!mine.length) throw new Failed(`the checkpoint is not signed by ${log.name}`);
    for (const signature of mine) {
      if (!(await crypto.subtle.verify({ name: "Ed25519" }, log.key, signature.rest, bytes(text)))) {
        throw new Failed(`the checkpoint's signature by ${log.name} is wrong`);
      }
    }
    const cosigned = [];
    for (const witnessKey of witnessKeys) {
      const witness = await parseKey(witnessKey, 0x04);
      for (const signature of signatures.filter((s) => s.name === witness.name && equal(s.id, witness.id))) {
        const time = new DataView(signature.rest.buffer, signature.rest.byteOffset, 8).getBigUint64(0);
        const message = bytes(`cosignature/v1\ntime ${time}\n${text}`);
        if (signature.rest.length !== 72 || !(await crypto.subtle.verify({ name: "Ed25519" }, witness.key, signature.rest.slice(8), message))) {
          throw new Failed(`the cosignature by ${witness.name} is wrong`);
        }
        cosigned.push(`${witness.name} (${new Date(Number(time) * 1000).toISOString().slice(0, 16).replace("T", " ")} UTC)`);
      }
    }
    const lines = text.slice(0, -1).split("\n");
    if (lines.length < 3 || !/^(0|[1-9][0-9]*)$/.test(lines[1])) throw new Failed("the checkpoint's text is malformed");
    return { origin: lines[0], size: Number(lines[1]), root: fromBase64(lines[2]), signer: log.name, cosigned };
  }

  const MEMBERS = ["anchor", "anchor_proof", "checkpoint", "footprint", "footprint_digest", "footprint_proof", "format", "lot", "verifier_key"];
  const HEADER = ["actor", "occurred_at", "org", "payload_sha256", "prev_hash", "recorded_at", "seq", "type"];

  // The checks of remelt_verify.public.public_verify; the sentences of what held.
  async function verify(bundle, logKey, witnessKeys) {
    const held = [];
    if (!bundle || bundle.format !== "remelt-public-1") throw new Failed("this is not a public proof");
    const members = Object.keys(bundle).sort();
    if (members.join() !== MEMBERS.join()) {
      throw new Failed(`the proof holds ${members.filter((m) => !MEMBERS.includes(m)).join(", ") || "too little"}: a public proof has exactly ${MEMBERS.join(", ")}`);
    }
    const { lot, footprint } = bundle;
    for (const [name, stated] of [["code", footprint.lot], ["kind", footprint.kind], ["mass_kg", footprint.mass_kg]]) {
      if (stated !== lot[name]) throw new Failed(`the footprint's ${name} is ${stated}, the lot's ${lot[name]}`);
    }
    const digest = hex(await sha256(bytes(canonical(footprint))));
    if (digest !== bundle.footprint_digest) {
      throw new Failed(`the footprint hashes to ${digest}, not to its digest ${bundle.footprint_digest}: it was changed`);
    }
    held.push(`The footprint shown (${footprint.total_kg_co2e} kg CO₂e, version ${footprint.version}) hashes to its digest ${digest.slice(0, 16)}…`);

    const { header, payload } = bundle.anchor;
    if (Object.keys(header).sort().join() !== HEADER.join()) throw new Failed("the anchor's header does not have the fields of a ledger header");
    const entryHash = hex(await leafHash(bytes(canonical(header))));
    if (entryHash !== bundle.anchor.hash) throw new Failed(`ledger entry #${header.seq}: its header hashes to ${entryHash}, not to its hash`);
    if (hex(await sha256(bytes(canonical(payload)))) !== header.payload_sha256) {
      throw new Failed(`ledger entry #${header.seq}: its payload does not match the digest in its header: it was changed`);
    }
    if (header.type !== "footprint.computed" || header.org !== null || payload.anchor !== 2) throw new Failed(`ledger entry #${header.seq} is not an anchor of footprints by the system`);
    for (const name of ["method", "factor_set", "ledger_seq"]) {
      if (payload[name] !== footprint[name]) throw new Failed(`ledger entry #${header.seq} has ${name} ${payload[name]}, the footprint ${footprint[name]}: it anchors another run`);
    }
    held.push(`Ledger entry #${header.seq} (footprint.computed, roll-up ${payload.run}, recorded ${header.recorded_at}) hashes to ${entryHash.slice(0, 16)}… and commits to its payload`);

    const proof = bundle.footprint_proof;
    const leaf = await leafHash(bytes(canonical([lot.code, footprint.version, digest])));
    const path = proof.path.map((node, i) => fromHex(node, `footprint_proof.path[${i}]`));
    if (!(await verifyInclusion(leaf, proof.leaf_index, payload.footprints.count, path, fromHex(payload.footprints.root, "the anchor's root")))) {
      throw new Failed(`the footprint is not leaf ${proof.leaf_index} of the ${payload.footprints.count} footprints that entry #${header.seq} commits to`);
    }
    held.push(`The footprint is leaf ${proof.leaf_index} of the ${payload.footprints.count} footprints that entry #${header.seq} commits to (Merkle proof of ${path.length} hashes).`);

    const checkpoint = await checkpointOf(bundle.checkpoint, logKey, witnessKeys);
    held.push(`The checkpoint of ${checkpoint.size} entries is signed by ${checkpoint.signer} (Ed25519)${checkpoint.cosigned.length ? ` and cosigned by ${checkpoint.cosigned.join(", ")}` : ""}.`);
    const anchorPath = bundle.anchor_proof.map((node, i) => fromHex(node, `anchor_proof[${i}]`));
    if (!(await verifyInclusion(fromHex(bundle.anchor.hash, "the anchor's hash"), header.seq - 1, checkpoint.size, anchorPath, checkpoint.root))) {
      throw new Failed(`ledger entry #${header.seq} is not in the signed checkpoint of ${checkpoint.size} entries`);
    }
    held.push(`Entry #${header.seq} is in that signed checkpoint (Merkle proof of ${anchorPath.length} hashes).`);
    return held;
  }

  function show(result, ok, heading, lines) {
    result.hidden = false;
    result.className = `verify-result ${ok ? "ok" : "bad"}`;
    result.replaceChildren();
    const title = document.createElement("p");
    title.className = `verdict ${ok ? "ok" : "bad"}`;
    title.innerHTML = "<strong></strong> ";
    title.firstChild.textContent = heading;
    result.append(title);
    const list = document.createElement("ul");
    for (const line of lines) {
      const item = document.createElement("li");
      item.textContent = line;
      list.append(item);
    }
    result.append(list);
  }

  document.addEventListener("DOMContentLoaded", () => {
    const section = document.getElementById("public-proof");
    const button = document.getElementById("verify-button");
    if (!section || !button) return;
    const result = document.getElementById("verify-result");
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        const answer = await fetch(section.dataset.proofUrl, { headers: { Accept: "application/json" } });
        if (!answer.ok) throw new Failed(`the proof could not be fetched (HTTP ${answer.status})`);
        const witnesses = (section.dataset.witnesses || "").split(" ").filter(Boolean);
        const held = await verify(await answer.json(), section.dataset.verifierKey, witnesses);
        show(result, true, "Verified.", held);
        section.dataset.verified = "ok";
      } catch (error) {
        const reason = error instanceof Failed ? error.message : `the check could not run: ${error}`;
        show(result, false, "Verification failed:", [reason]);
        section.dataset.verified = "failed";
      } finally {
        button.disabled = false;
      }
    });
  });
})();
