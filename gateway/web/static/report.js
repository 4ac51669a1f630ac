// The report page's script. Without it the form still works (a plain POST). With it: "use my location", and an
// outbox: a report made without a connection is kept in IndexedDB and sent when the connection returns, exactly
// once (a phone-made client_id; the gateway answers a resend with the first ticket), then deleted from the phone.
(function () {
  "use strict";
  const T = JSON.parse(document.getElementById("texts").textContent);
  const form = document.getElementById("report");
  const box = document.getElementById("outbox");
  const DB = "nts-outbox", STORE = "reports";
  const fill = (s, v) => s.replace(/\{(\w+)\}/g, (_, k) => (k in v ? v[k] : ""));
  // Community leader mode: opened once from the enrolment link /report#leader=<token> (a fragment never reaches
  // a server log); reports then go to the offline upload API under the leader's upload-only token, in batches.
  const LEADER = "nts-leader";
  if (location.hash.startsWith("#leader=")) {
    localStorage.setItem(LEADER, decodeURIComponent(location.hash.slice(8)));
    history.replaceState(null, "", location.pathname + location.search);
  }
  const leader = () => localStorage.getItem(LEADER);
  document.getElementById("leader").hidden = !leader();

  function db() {
    return new Promise((ok, fail) => {
      const req = indexedDB.open(DB, 1);
      req.onupgradeneeded = () => req.result.createObjectStore(STORE, { keyPath: "client_id" });
      req.onsuccess = () => ok(req.result);
      req.onerror = () => fail(req.error);
    });
  }
  async function tx(mode, fn) {
    const d = await db();
    return new Promise((ok, fail) => {
      const t = d.transaction(STORE, mode), s = t.objectStore(STORE);
      const r = fn(s);
      t.oncomplete = () => { d.close(); ok(r && r.result); };
      t.onerror = () => { d.close(); fail(t.error); };
    });
  }
  const keep = (item) => tx("readwrite", (s) => s.put(item));
  const drop = (id) => tx("readwrite", (s) => s.delete(id));
  const waiting = () => tx("readonly", (s) => s.getAll());

  const receipts = [];  // shown until the page closes; never written to the phone
  function show(lines, isError) {
    box.hidden = lines.length === 0;
    box.className = isError ? "err" : "ok";
    box.textContent = "";
    for (const line of lines) { const p = document.createElement("p"); p.textContent = line; box.appendChild(p); }
  }
  async function refresh(extra) {
    const items = await waiting();
    const lines = receipts.slice();
    if (extra) lines.unshift(extra);
    if (items.length) lines.push(fill(T.web_waiting, { count: items.length }));
    show(lines, false);
  }

  function fields() {
    const data = {};
    for (const [k, v] of new FormData(form).entries()) if (typeof v === "string") data[k] = v;
    const photo = form.photo && form.photo.files[0];
    return { client_id: data.client_id, fields: data, photo: photo || null, kept_at: Date.now() };
  }
  async function token() {
    const r = await fetch("/report/token?lang=" + encodeURIComponent(form.querySelector("[name=lang]").value), { credentials: "same-origin" });
    return (await r.json()).csrf_token;
  }
  async function send(item, freshToken) {
    const body = new FormData();
    for (const [k, v] of Object.entries(item.fields)) body.append(k, v);
    if (freshToken) body.set("csrf_token", freshToken);
    if (item.photo) body.append("photo", item.photo, item.photo.name || "photo.jpg");
    const r = await fetch("/report", { method: "POST", body, credentials: "same-origin",
                                       headers: { Accept: "application/json" } });
    return { status: r.status, body: await r.json().catch(() => ({})) };
  }
  function batchItem(item) {
    const f = item.fields;
    return { client_id: item.client_id, category: f.category, place: f.place || null, when: f.when || "now",
             location: f.lat && f.lon ? { lat: Number(f.lat), lon: Number(f.lon) } : null,
             details: f.details || "", language: f.lang };
  }
  async function flushBatch(items) {
    const r = await fetch("/api/reports", { method: "POST", credentials: "omit",
      headers: { "Content-Type": "application/json", Authorization: "Bearer " + leader() },
      body: JSON.stringify({ device_id: "pwa", reports: items.map(batchItem) }) });
    if (r.status !== 200) { receipts.push(String(r.status)); return; }
    for (const result of (await r.json()).results) {
      if (result.status === "created" || result.status === "duplicate") {
        receipts.push(fill(T.web_leader_ticket, { ticket: result.ticket || "" }));
      } else {
        receipts.push(result.error || "");
      }
      await drop(result.client_id);  // answered: kept on the phone no longer
    }
  }
  let flushing = false;
  async function flush() {
    if (flushing || !navigator.onLine) return;
    flushing = true;
    try {
      const items = await waiting();
      if (!items.length) return;
      if (leader()) { await flushBatch(items); return; }
      const fresh = await token();
      for (const item of items) {
        const answer = await send(item, fresh);
        if (answer.status === 200) {
          receipts.push(answer.body.message);
          await drop(item.client_id);  // the gateway has it: nothing of it stays on the phone
        } else if (answer.status === 400 || answer.status === 413) {
          receipts.push(answer.body.error || "");
          await drop(item.client_id);  // it will never be accepted; say why, keep nothing
        } else {
          break;  // busy or rate-limited: try again later
        }
      }
    } catch (e) {
      // still no connection: the items stay
    } finally {
      flushing = false;
      refresh();
    }
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    if (!form.client_id.value) form.client_id.value = (crypto.randomUUID ? crypto.randomUUID() :
      String(Date.now()) + Math.random().toString(16).slice(2));
    const item = fields();
    if (leader()) {  // a leader's reports always go through the outbox, sent together when there is signal
      await keep(item);
      form.reset(); form.client_id.value = ""; form.lat.value = ""; form.lon.value = "";
      await refresh(navigator.onLine ? null : T.web_offline_kept);
      flush();
      return;
    }
    try {
      if (!navigator.onLine) throw new Error("offline");
      const answer = await send(item, null);
      if (answer.status === 200) {
        receipts.push(answer.body.message);
        form.reset(); form.client_id.value = ""; form.lat.value = ""; form.lon.value = "";
        refresh();
      } else if (answer.body.retry === "token") {
        await keep(item); form.reset(); form.client_id.value = ""; flush();
      } else {
        show([answer.body.error || String(answer.status)], true);
      }
    } catch (e) {
      await keep(item);
      form.reset(); form.client_id.value = ""; form.lat.value = ""; form.lon.value = "";
      refresh(T.web_offline_kept);
    }
  });

  // As a place is typed (any script), say which district the gateway reads in it; a tap fills that in.
  const place = document.getElementById("place"), found = document.getElementById("located");
  let typing = null;
  place.addEventListener("input", () => {
    clearTimeout(typing);
    typing = setTimeout(async () => {
      if (place.value.trim().length < 2 || !navigator.onLine) { found.textContent = ""; return; }
      try {
        const r = await fetch("/report/places?lang=" + encodeURIComponent(form.querySelector("[name=lang]").value)
                              + "&q=" + encodeURIComponent(place.value), { credentials: "same-origin" });
        const hit = (await r.json()).places[0];
        found.textContent = "";
        if (hit) {
          const pick = document.createElement("button");
          pick.type = "button"; pick.className = "s"; pick.textContent = "📍 " + hit.label;
          pick.addEventListener("click", () => { place.value = hit.label; found.textContent = "✓ " + hit.label; });
          found.appendChild(pick);
        }
      } catch (e) { found.textContent = ""; }
    }, 400);
  });

  const locate = document.getElementById("locate");
  if (navigator.geolocation) {
    locate.hidden = false;
    locate.addEventListener("click", () => navigator.geolocation.getCurrentPosition((pos) => {
      form.lat.value = pos.coords.latitude.toFixed(5);
      form.lon.value = pos.coords.longitude.toFixed(5);
      document.getElementById("located").textContent = T.web_location_set;
    }, () => {}, { enableHighAccuracy: true, timeout: 20000 }));
  }

  const clear = document.getElementById("clear");
  clear.hidden = false;
  clear.addEventListener("click", async () => {
    receipts.length = 0;
    await new Promise((ok) => { const r = indexedDB.deleteDatabase(DB); r.onsuccess = r.onerror = r.onblocked = ok; });
    try { localStorage.clear(); sessionStorage.clear(); } catch (e) { /* private mode */ }
    if (window.caches) for (const n of await caches.keys()) await caches.delete(n);
    if (navigator.serviceWorker) for (const r of await navigator.serviceWorker.getRegistrations()) await r.unregister();
    form.reset();
    show([T.web_cleared], false);
  });

  window.addEventListener("online", flush);
  if ("serviceWorker" in navigator) navigator.serviceWorker.register("/sw.js").catch(() => {});
  refresh().then(flush);
})();
