// The console's script: plain JavaScript, no framework, no build step. It writes
// through the service's own API (/api/v1) with the session cookie and the session's
// CSRF token; pages are rendered by the server, this only sends and shows answers.
"use strict";

const root = document.querySelector('meta[name="console-root"]').content;
const csrfMeta = document.querySelector('meta[name="csrf-token"]');

/** A call to the API; resolves to {ok, status, data}. */
async function api(method, path, body, headers) {
  const options = {
    method,
    credentials: "same-origin",
    headers: { Accept: "application/json", ...(headers || {}) },
  };
  if (csrfMeta) options.headers["X-CSRF-Token"] = csrfMeta.content;
  if (body !== undefined) {
    options.headers["Content-Type"] = "application/json";
    options.body = JSON.stringify(body);
  }
  const response = await fetch(root + "/api/v1" + path, options);
  let data = null;
  try {
    data = await response.json();
  } catch (e) {
    data = null;
  }
  return { ok: response.ok, status: response.status, data };
}

const enc = encodeURIComponent;

function shown(value) {
  if (value === null || value === undefined || value === false || value === "") return "";
  if (Array.isArray(value)) return value.join(", ");
  if (value === true) return "on";
  return String(value);
}

/** The text a field's box holds, as the API takes it. */
function parsed(kind, text) {
  if (kind === "int") return /^-?\d+$/.test(text) ? Number(text) : text;
  if (kind === "list") return text.split(",").map((s) => s.trim()).filter((s) => s);
  return text;
}

/** The changes a form of fields holds: {field: value or null}; empty boxes are left out. */
function changes(form) {
  const body = {};
  for (const field of form.querySelectorAll(".field[data-field]")) {
    const name = field.dataset.field;
    const input = field.querySelector(".value");
    const clear = field.querySelector(".clear-box");
    if (clear && clear.checked) {
      body[name] = null;
      continue;
    }
    if (field.dataset.kind === "bool") {
      if (input.checked !== (input.dataset.original === "on")) body[name] = input.checked ? true : null;
      continue;
    }
    const text = input.value.trim();
    if (text === "" || text === (input.dataset.original || "")) continue;
    body[name] = parsed(field.dataset.kind, text);
  }
  return body;
}

function clearErrors(form) {
  for (const p of form.querySelectorAll("[data-error-for]")) p.textContent = "";
  for (const input of form.querySelectorAll("[aria-invalid]")) input.removeAttribute("aria-invalid");
}

/** A problem document's words next to its field (the API names it), else in the status. */
function showProblem(form, problem, prefix) {
  const name = (problem && problem.field ? problem.field : "").replace(prefix || "", "");
  const spot = name && form.querySelector(`[data-error-for="${CSS.escape(name)}"]`);
  const detail = problem ? problem.detail : "The service did not answer.";
  if (spot) {
    spot.textContent = detail;
    const input = spot.parentElement.querySelector(".value");
    if (input) {
      input.setAttribute("aria-invalid", "true");
      input.focus();
    }
  } else {
    status(form, detail, true);
  }
}

function status(form, text, bad) {
  const spot = form.querySelector("[data-status]");
  spot.textContent = text;
  spot.className = "form-status " + (bad ? "error" : "success");
}

// ---------------------------------------------------------------- a number's edit form

async function saveNumber(form) {
  clearErrors(form);
  const conflict = form.querySelector("[data-conflict]");
  const body = changes(form);
  if (Object.keys(body).length === 0) {
    status(form, "Nothing to save: change a value, or tick a Clear box.", true);
    return;
  }
  const path = `/accounts/${enc(form.dataset.account)}/numbers/${enc(form.dataset.id)}`;
  status(form, "Saving…", false);
  const answer = await api("PATCH", path, body, { "If-Match": form.dataset.etag });
  if (answer.ok) {
    const here = new URL(window.location.href);
    here.search = "?saved=" + enc(form.dataset.account);
    window.location.assign(here.toString());
    return;
  }
  if (answer.status === 412) {
    // Changed since the page was read: show the vendor's current values; the next
    // save (of what the form still holds) is made against them.
    const current = await api("GET", path);
    status(form, "", false);
    conflict.replaceChildren();
    const title = document.createElement("p");
    title.className = "error";
    title.textContent =
      "This number changed since you opened it; nothing was written. Its current values:";
    const list = document.createElement("dl");
    list.className = "counts";
    for (const field of form.querySelectorAll(".field[data-field]")) {
      const name = field.dataset.field;
      const dt = document.createElement("dt");
      dt.textContent = name;
      const dd = document.createElement("dd");
      dd.dataset.current = name;
      dd.textContent = current.ok ? shown(current.data[name]) || "(empty)" : "?";
      list.append(dt, dd);
      if (current.ok) field.querySelector(".value").dataset.original = shown(current.data[name]);
    }
    const next = document.createElement("p");
    next.textContent = "Save again to write your values over these.";
    conflict.append(title, list, next);
    conflict.hidden = false;
    conflict.focus();
    if (current.ok) form.dataset.etag = current.data.etag;
    return;
  }
  status(form, "", false);
  showProblem(form, answer.data, "");
}

for (const form of document.querySelectorAll("form[data-edit]")) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    saveNumber(form);
  });
  for (const clear of form.querySelectorAll(".clear-box")) {
    // Clearing is its own action: the box's value is not sent while Clear is ticked.
    clear.addEventListener("change", () => {
      clear.closest(".field").querySelector(".value").disabled = clear.checked;
    });
  }
}

// ---------------------------------------------------------------- bulk change: plan

function listOf(value) {
  return value ? [value] : [];
}

async function planChangeSet(form) {
  clearErrors(form);
  const value = (name) => form.querySelector(`[name="${name}"]`).value.trim();
  const selection = {
    accounts: listOf(value("account")),
    providers: listOf(value("provider")),
    has: listOf(value("has")),
    missing: listOf(value("missing")),
    numbers: value("numbers").split("\n").map((s) => s.trim()).filter((s) => s),
  };
  if (value("q")) selection.q = value("q");
  const update = changes(form);
  if (Object.keys(update).length === 0) {
    status(form, "Nothing to change: fill a value, or tick a Clear box.", true);
    return;
  }
  status(form, "Planning…", false);
  const answer = await api("POST", "/changes", { selection, update });
  if (answer.ok) {
    window.location.assign(`${root}/changes/${enc(answer.data.id)}`);
    return;
  }
  status(form, "", false);
  const problem = answer.data;
  if (problem && problem.field && problem.field.startsWith("selection.numbers")) {
    form.querySelector('[data-error-for="selection.numbers"]').textContent = problem.detail;
    return;
  }
  showProblem(form, problem, "update.");
}

for (const form of document.querySelectorAll("form[data-change-set]")) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    planChangeSet(form);
  });
}

// ---------------------------------------------------------------- migration: plan

async function planMigration(form) {
  const fields = [...form.querySelectorAll('[name="fields"]:checked')].map((b) => b.value);
  const body = {
    from: form.querySelector('[name="from"]').value,
    to: form.querySelector('[name="to"]').value,
  };
  if (fields.length) body.fields = fields;
  status(form, "Reading both accounts and planning…", false);
  const answer = await api("POST", "/migrations", body);
  if (answer.ok) {
    window.location.assign(`${root}/migrations/${enc(answer.data.id)}`);
    return;
  }
  status(form, answer.data ? answer.data.detail : "The service did not answer.", true);
}

for (const form of document.querySelectorAll("form[data-migration]")) {
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    planMigration(form);
  });
  clearErrors(form);
}

// ---------------------------------------------------------------- a job: run, progress

/** Follow a job's server-sent events; reload the page (with its result) when done. */
function follow(job) {
  const box = job.querySelector("[data-progress]");
  const bar = box.querySelector("progress");
  const text = box.querySelector("[data-progress-text]");
  box.hidden = false;
  const events = new EventSource(`${root}/api/v1/${job.dataset.kind}/${enc(job.dataset.id)}/events`);
  const show = (event) => {
    const data = JSON.parse(event.data);
    if (data.state) job.querySelector('[data-testid="state"]').textContent = data.state;
    if (data.total) bar.max = data.total;
    if (data.done !== undefined) bar.value = data.done;
    text.textContent = `${data.done || 0} of ${data.total || bar.max} done`;
  };
  events.addEventListener("progress", show);
  events.addEventListener("done", (event) => {
    show(event);
    events.close();
    window.location.reload();
  });
  events.onerror = () => {
    // The stream ended without its last event (the service restarting): the page
    // as the service now has it.
    events.close();
    window.setTimeout(() => window.location.reload(), 1000);
  };
}

function showVerify(job, report) {
  const spot = job.querySelector("[data-verify]");
  spot.replaceChildren();
  const title = document.createElement("p");
  const checked = report.parts.reduce((n, p) => n + p.checked, 0);
  const differences = report.parts.flatMap((p) => p.differences);
  const missing = report.parts.flatMap((p) => p.missing);
  title.className = report.ok ? "success" : "error";
  title.textContent = report.ok
    ? `Verified: the target holds what was written (${checked} numbers checked).`
    : `The target differs from what was written: ${differences.length} differences, ${missing.length} numbers missing.`;
  spot.append(title);
  if (differences.length) {
    const list = document.createElement("ul");
    for (const d of differences) {
      const item = document.createElement("li");
      item.textContent = `${d.number} ${d.field}: expected ${shown(d.expected) || "(empty)"}, found ${shown(d.actual) || "(empty)"}`;
      list.append(item);
    }
    spot.append(list);
  }
  spot.hidden = false;
  spot.focus();
}

for (const job of document.querySelectorAll("[data-job]")) {
  const form = job;
  if (["applying", "rolling_back"].includes(job.dataset.state)) follow(job);
  for (const button of job.querySelectorAll("button[data-run]")) {
    button.addEventListener("click", async () => {
      const action = button.dataset.run;
      for (const b of job.querySelectorAll("button[data-run]")) b.disabled = true;
      status(form, action === "verify" ? "Reading the target back…" : "Starting…", false);
      const path = `/${job.dataset.kind}/${enc(job.dataset.id)}/${action}`;
      const answer = await api("POST", path);
      for (const b of job.querySelectorAll("button[data-run]")) b.disabled = false;
      if (!answer.ok) {
        status(form, answer.data ? answer.data.detail : "The service did not answer.", true);
        return;
      }
      status(form, "", false);
      if (action === "verify") showVerify(job, answer.data);
      else {
        for (const b of job.querySelectorAll("button[data-run]")) b.hidden = true;
        follow(job);
      }
    });
  }
}
