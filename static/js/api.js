/* SmartBook page helper: calls our own API with the session cookie and its CSRF token,
   shows field errors next to their fields, formats instants in the viewer's time zone. */
(function () {
  "use strict";

  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    if (meta && meta.content) return meta.content;
    const match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  async function request(method, url, body) {
    const options = {
      method: method,
      credentials: "same-origin",
      headers: { Accept: "application/json", "X-CSRFToken": csrfToken() },
    };
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    let response;
    try {
      response = await fetch(url, options);
    } catch (error) {
      return { ok: false, status: 0, data: { detail: "Could not reach SmartBook. Check your connection and try again.", errors: {} } };
    }
    let data = null;
    if (response.status !== 204) {
      try { data = await response.json(); } catch (error) { data = null; }
    }
    if (!response.ok && (!data || typeof data !== "object")) {
      data = { detail: "Something went wrong (" + response.status + "). Please try again.", errors: {} };
    }
    return { ok: response.ok, status: response.status, data: data };
  }

  /* A list endpoint may answer a page ({results: [...]}) or a plain list. */
  function items(data) {
    if (Array.isArray(data)) return data;
    if (data && Array.isArray(data.results)) return data.results;
    if (data && Array.isArray(data.items)) return data.items;
    if (data && Array.isArray(data.slots)) return data.slots;
    return [];
  }

  function setStatus(element, text, kind) {
    if (!element) return;
    element.textContent = text || "";
    element.classList.remove("is-error", "is-ok", "is-info");
    if (text) element.classList.add("is-" + (kind || "info"));
  }

  function clearErrors(root) {
    root.querySelectorAll(".field-error").forEach(function (el) { el.textContent = ""; });
    root.querySelectorAll('[aria-invalid="true"]').forEach(function (el) { el.removeAttribute("aria-invalid"); });
  }

  /* Put each {field: [messages]} next to its field; returns the messages that found no field. */
  function showErrors(root, errors) {
    const orphans = [];
    Object.keys(errors || {}).forEach(function (key) {
      const messages = [].concat(errors[key]).join(" ");
      const name = key.split(".").pop().replace(/\[\d+\]$/, "");
      const slot = root.querySelector("#" + CSS.escape(name) + "-error");
      if (slot) {
        slot.textContent = messages;
        const field = root.querySelector("#" + CSS.escape(name)) || root.querySelector('[name="' + name + '"]');
        if (field) field.setAttribute("aria-invalid", "true");
      } else {
        orphans.push(messages);
      }
    });
    const first = root.querySelector('[aria-invalid="true"]');
    if (first) first.focus();
    return orphans;
  }

  /* The sentence to show for a refusal: the messages no field took; when every message
     found its field, the page's own fallback ("Please check the highlighted fields."), never
     the API's "Invalid input: field, field." summary, which names fields for programs;
     otherwise the API's detail. */
  function refusal(result, orphans, fallback) {
    const data = result.data || {};
    if (orphans && orphans.length) return orphans.join(" ");
    if (data.errors && Object.keys(data.errors).length) return fallback;
    return data.detail || fallback;
  }

  function viewerZone() {
    const holder = document.querySelector("[data-viewer-timezone]");
    return (holder && holder.dataset.viewerTimezone) || "UTC";
  }

  /* Making an Intl.DateTimeFormat costs far more than using one, and a page formats
     hundreds of times in a few zones and shapes: each is made once. */
  const formatters = new Map();

  function formatter(zone, options) {
    const key = zone + "|" + JSON.stringify(options);
    if (!formatters.has(key)) {
      formatters.set(key, new Intl.DateTimeFormat("en-GB", Object.assign({ timeZone: zone }, options)));
    }
    return formatters.get(key);
  }

  function formatTime(iso, zone) {
    return formatter(zone || viewerZone(), { hour: "2-digit", minute: "2-digit", hourCycle: "h23" }).format(new Date(iso));
  }

  function formatDay(iso, zone) {
    return formatter(zone || viewerZone(), { weekday: "long", day: "numeric", month: "long" }).format(new Date(iso));
  }

  function formatDateTime(iso, zone) {
    return formatDay(iso, zone) + ", " + formatTime(iso, zone);
  }

  /* YYYY-MM-DD of an instant in a zone, for grouping slots by the viewer's local day. */
  function dayKey(iso, zone) {
    const parts = formatter(zone || viewerZone(), { year: "numeric", month: "2-digit", day: "2-digit" }).formatToParts(new Date(iso));
    const get = function (type) { return parts.find(function (p) { return p.type === type; }).value; };
    return get("year") + "-" + get("month") + "-" + get("day");
  }

  /* How far `zone`'s wall clock is ahead of UTC at `date`, in milliseconds. */
  function zoneOffset(date, zone) {
    const parts = formatter(zone, {
      year: "numeric", month: "2-digit", day: "2-digit",
      hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
    }).formatToParts(date);
    const get = function (type) { return Number(parts.find(function (p) { return p.type === type; }).value); };
    const wall = Date.UTC(get("year"), get("month") - 1, get("day"), get("hour"), get("minute"), get("second"));
    return wall - Math.floor(date.getTime() / 1000) * 1000;
  }

  /* The instant a local day of `zone` begins: the day of `date` there, `addDays` later
     (calendar days, so a window of days stays whole across a DST change). */
  function dayStart(date, zone, addDays) {
    zone = zone || viewerZone();
    const key = dayKey(date.toISOString(), zone).split("-").map(Number);
    const midnight = Date.UTC(key[0], key[1] - 1, key[2] + (addDays || 0));
    const guess = midnight - zoneOffset(new Date(midnight), zone);
    // Again at the guess: the offset there is the one that day begins with.
    return new Date(midnight - zoneOffset(new Date(guess), zone));
  }

  function element(tag, attributes, children) {
    const el = document.createElement(tag);
    Object.keys(attributes || {}).forEach(function (key) {
      if (key === "text") el.textContent = attributes[key];
      else if (key === "className") el.className = attributes[key];
      else if (key.startsWith("data-") || key.startsWith("aria-") || key === "type" || key === "href" || key === "id" || key === "role") el.setAttribute(key, attributes[key]);
      else el[key] = attributes[key];
    });
    (children || []).forEach(function (child) {
      if (child) el.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return el;
  }

  window.SB = {
    request: request, items: items, setStatus: setStatus, clearErrors: clearErrors,
    showErrors: showErrors, refusal: refusal, viewerZone: viewerZone, formatTime: formatTime, formatDay: formatDay,
    formatDateTime: formatDateTime, dayKey: dayKey, dayStart: dayStart, element: element,
  };
})();
