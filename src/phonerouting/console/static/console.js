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
