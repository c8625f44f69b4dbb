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

  // Messages in the page's language: Django's JavaScript catalogue (/i18n/js/, loaded before
  // this script) defines gettext; fill() puts values into a message's %(name)s placeholders.
  const gettext = typeof window.gettext === "function" ? window.gettext : (message) => message;
  const fill = (message, values) => message.replace(/%\((\w+)\)s/g, (_, name) => String(values[name]));

  // RFC 8785 (JCS) for what the bundles hold: strings, integers, booleans, null, arrays and
  // objects. JCS serialises strings and numbers as ECMAScript's JSON.stringify does and sorts
  // object members by their UTF-16 code units, which is what Array.prototype.sort compares.
  function canonical(value) {
    if (value === null || typeof value === "boolean" || typeof value === "string") {
      return JSON.stringify(value);
    }
    if (typeof value === "number") {
      if (!Number.isSafeInteger(value)) throw new Failed(gettext("a number that is not an exact integer"));
      return JSON.stringify(value);
    }
    if (Array.isArray(value)) return "[" + value.map(canonical).join(",") + "]";
    if (typeof value === "object") {
      const keys = Object.keys(value).sort();
      return "{" + keys.map((key) => JSON.stringify(key) + ":" + canonical(value[key])).join(",") + "}";
    }
    throw new Failed(gettext("a value that JSON cannot hold"));
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
    if (typeof text !== "string" || !/^[0-9a-f]{64}$/.test(text)) throw new Failed(fill(gettext("%(what)s is not a hash in hex"), { what }));
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
    if (!match) throw new Failed(fill(gettext("the key %(key)s is not <name>+<key ID>+<key>"), { key: text }));
    const [, name, id, encoded] = match;
    const raw = fromBase64(encoded);
    if (raw.length !== 33 || raw[0] !== algorithm) throw new Failed(fill(gettext("the key of %(name)s is not an Ed25519 key"), { name }));
    const expected = (await sha256(concat(bytes(name + "\n"), raw))).slice(0, 4);
    if (hex(expected) !== id.toLowerCase()) throw new Failed(fill(gettext("the key ID of %(name)s does not match its key"), { name }));
    const key = await crypto.subtle.importKey("raw", raw.slice(1), { name: "Ed25519" }, false, ["verify"]);
    return { name, id: expected, key };
  }

  // A signed note: its text (up to the last blank line) and its signature lines.
  function splitNote(note) {
    const split = note.lastIndexOf("\n\n");
    if (split < 0 || !note.endsWith("\n")) throw new Failed(gettext("the checkpoint is not a signed note"));
    const signatures = note
      .slice(split + 2, -1)
      .split("\n")
      .map((line) => {
        const match = /^\u2014 (\S+) ([A-Za-z0-9+\/=]+)$/.exec(line);
        if (!match) throw new Failed(fill(gettext("the signature line %(line)s is malformed"), { line }));
        const raw = fromBase64(match[2]);
        return { name: match[1], id: raw.slice(0, 4), rest: raw.slice(4) };
      });
    return { text: note.slice(0, split + 1), signatures };
  }

  async function checkpointOf(note, logKey, witnessKeys) {
    const { text, signatures } = splitNote(note);
    const log = await parseKey(logKey, 0x01);
    const mine = signatures.filter((s) => s.name === log.name && equal(s.id, log.id));
    if (!mine.length) throw new Failed(fill(gettext("the checkpoint is not signed by %(signer)s"), { signer: log.name }));
    for (const signature of mine) {
      if (!(await crypto.subtle.verify({ name: "Ed25519" }, log.key, signature.rest, bytes(text)))) {
        throw new Failed(fill(gettext("the checkpoint's signature by %(signer)s is wrong"), { signer: log.name }));
      }
    }
    const cosigned = [];
    for (const witnessKey of witnessKeys) {
      const witness = await parseKey(witnessKey, 0x04);
      for (const signature of signatures.filter((s) => s.name === witness.name && equal(s.id, witness.id))) {
        const time = new DataView(signature.rest.buffer, signature.rest.byteOffset, 8).getBigUint64(0);
        const message = bytes(`cosignature/v1\ntime ${time}\n${text}`);
        if (signature.rest.length !== 72 || !(await crypto.subtle.verify({ name: "Ed25519" }, witness.key, signature.rest.slice(8), message))) {
          throw new Failed(fill(gettext("the cosignature by %(witness)s is wrong"), { witness: witness.name }));
        }
        cosigned.push(`${witness.name} (${new Date(Number(time) * 1000).toISOString().slice(0, 16).replace("T", " ")} UTC)`);
      }
    }
    const lines = text.slice(0, -1).split("\n");
    if (lines.length < 3 || !/^(0|[1-9][0-9]*)$/.test(lines[1])) throw new Failed(gettext("the checkpoint's text is malformed"));
    return { origin: lines[0], size: Number(lines[1]), root: fromBase64(lines[2]), signer: log.name, cosigned };
  }

  const MEMBERS = ["anchor", "anchor_proof", "checkpoint", "footprint", "footprint_digest", "footprint_proof", "format", "lot", "verifier_key"];
  const HEADER = ["actor", "occurred_at", "org", "payload_sha256", "prev_hash", "recorded_at", "seq", "type"];

  // The checks of remelt_verify.public.public_verify; the sentences of what held.
  async function verify(bundle, logKey, witnessKeys) {
    const held = [];
    if (!bundle || bundle.format !== "remelt-public-1") throw new Failed(gettext("this is not a public proof"));
    const members = Object.keys(bundle).sort();
    if (members.join() !== MEMBERS.join()) {
      const extra = members.filter((m) => !MEMBERS.includes(m)).join(", ") || gettext("too little");
      throw new Failed(fill(gettext("the proof holds %(extra)s: a public proof has exactly %(members)s"), { extra, members: MEMBERS.join(", ") }));
    }
    const { lot, footprint } = bundle;
    for (const [name, stated] of [["code", footprint.lot], ["kind", footprint.kind], ["mass_kg", footprint.mass_kg]]) {
      if (stated !== lot[name]) throw new Failed(fill(gettext("the footprint's %(name)s is %(stated)s, the lot's %(lot_value)s"), { name, stated, lot_value: lot[name] }));
    }
    const digest = hex(await sha256(bytes(canonical(footprint))));
    if (digest !== bundle.footprint_digest) {
      throw new Failed(fill(gettext("the footprint hashes to %(digest)s, not to its digest %(expected)s: it was changed"), { digest, expected: bundle.footprint_digest }));
    }
    held.push(fill(gettext("The footprint shown (%(total)s kg CO₂e, version %(version)s) hashes to its digest %(digest)s…"), { total: footprint.total_kg_co2e, version: footprint.version, digest: digest.slice(0, 16) }));

    const { header, payload } = bundle.anchor;
    if (Object.keys(header).sort().join() !== HEADER.join()) throw new Failed(gettext("the anchor's header does not have the fields of a ledger header"));
    const entryHash = hex(await leafHash(bytes(canonical(header))));
    if (entryHash !== bundle.anchor.hash) throw new Failed(fill(gettext("ledger entry #%(seq)s: its header hashes to %(hash)s, not to its hash"), { seq: header.seq, hash: entryHash }));
    if (hex(await sha256(bytes(canonical(payload)))) !== header.payload_sha256) {
      throw new Failed(fill(gettext("ledger entry #%(seq)s: its payload does not match the digest in its header: it was changed"), { seq: header.seq }));
    }
    if (header.type !== "footprint.computed" || header.org !== null || payload.anchor !== 2) throw new Failed(fill(gettext("ledger entry #%(seq)s is not an anchor of footprints by the system"), { seq: header.seq }));
    for (const name of ["method", "factor_set", "ledger_seq"]) {
      if (payload[name] !== footprint[name]) throw new Failed(fill(gettext("ledger entry #%(seq)s has %(name)s %(anchored)s, the footprint %(footprint_value)s: it anchors another run"), { seq: header.seq, name, anchored: payload[name], footprint_value: footprint[name] }));
    }
    held.push(fill(gettext("Ledger entry #%(seq)s (footprint.computed, roll-up %(run)s, recorded %(recorded)s) hashes to %(hash)s… and commits to its payload"), { seq: header.seq, run: payload.run, recorded: header.recorded_at, hash: entryHash.slice(0, 16) }));

    const proof = bundle.footprint_proof;
    const leaf = await leafHash(bytes(canonical([lot.code, footprint.version, digest])));
    const path = proof.path.map((node, i) => fromHex(node, `footprint_proof.path[${i}]`));
    if (!(await verifyInclusion(leaf, proof.leaf_index, payload.footprints.count, path, fromHex(payload.footprints.root, gettext("the anchor's root"))))) {
      throw new Failed(fill(gettext("the footprint is not leaf %(leaf)s of the %(count)s footprints that entry #%(seq)s commits to"), { leaf: proof.leaf_index, count: payload.footprints.count, seq: header.seq }));
    }
    held.push(fill(gettext("The footprint is leaf %(leaf)s of the %(count)s footprints that entry #%(seq)s commits to (Merkle proof of %(hashes)s hashes)."), { leaf: proof.leaf_index, count: payload.footprints.count, seq: header.seq, hashes: path.length }));

    const checkpoint = await checkpointOf(bundle.checkpoint, logKey, witnessKeys);
    const signed = { size: checkpoint.size, signer: checkpoint.signer, witnesses: checkpoint.cosigned.join(", ") };
    held.push(checkpoint.cosigned.length
      ? fill(gettext("The checkpoint of %(size)s entries is signed by %(signer)s (Ed25519) and cosigned by %(witnesses)s."), signed)
      : fill(gettext("The checkpoint of %(size)s entries is signed by %(signer)s (Ed25519)."), signed));
    const anchorPath = bundle.anchor_proof.map((node, i) => fromHex(node, `anchor_proof[${i}]`));
    if (!(await verifyInclusion(fromHex(bundle.anchor.hash, gettext("the anchor's hash")), header.seq - 1, checkpoint.size, anchorPath, checkpoint.root))) {
      throw new Failed(fill(gettext("ledger entry #%(seq)s is not in the signed checkpoint of %(size)s entries"), { seq: header.seq, size: checkpoint.size }));
    }
    held.push(fill(gettext("Entry #%(seq)s is in that signed checkpoint (Merkle proof of %(hashes)s hashes)."), { seq: header.seq, hashes: anchorPath.length }));
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
        if (!answer.ok) throw new Failed(fill(gettext("the proof could not be fetched (HTTP %(status)s)"), { status: answer.status }));
        const witnesses = (section.dataset.witnesses || "").split(" ").filter(Boolean);
        const held = await verify(await answer.json(), section.dataset.verifierKey, witnesses);
        show(result, true, gettext("Verified."), held);
        section.dataset.verified = "ok";
      } catch (error) {
        const reason = error instanceof Failed ? error.message : fill(gettext("the check could not run: %(error)s"), { error });
        show(result, false, gettext("Verification failed:"), [reason]);
        section.dataset.verified = "failed";
      } finally {
        button.disabled = false;
      }
    });
  });
})();
