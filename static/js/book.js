/* Book and reschedule pages: "Recommended for you" above a month view of the free times.
   Everything goes through the API: GET /api/appointments/recommended and /available (once
   per month shown, kept while the client changes day), POST /api/appointments (book) or
   PATCH /api/appointments/<id> (reschedule). */
(function () {
  "use strict";


  function ready(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }

  ready(function () {
    const form = document.getElementById("booking-form");
    if (!form || form.dataset.locked) return; // the page already says why it cannot be moved
    const mode = form.dataset.mode;
    // A visitor (not signed in) sees the times in their device's zone, and is asked to log in
    // or sign up to book, coming back to the same time.
    const visitor = form.dataset.visitor === "1";
    const homeZone = form.dataset.timezone || (visitor && deviceZone()) || SB.viewerZone();
    let zone = homeZone;
    const horizonDays = Number(form.dataset.horizonDays || 60);
    const appointmentId = form.dataset.appointmentId || null;

    const serviceSelect = document.getElementById("service");
    const providerSelect = document.getElementById("provider");
    const urgencySelect = document.getElementById("urgency");
    const noteField = document.getElementById("client_notes");
    const status = document.getElementById("booking-status");
    const recommendedSection = document.getElementById("recommended");
    const recommendationList = document.getElementById("recommendations");
    const browseSection = document.getElementById("browse");
    const daysBox = document.getElementById("days");
    const dayTitle = document.getElementById("day-title");
    const monthLabel = document.getElementById("month-label");
    const monthBody = document.getElementById("month-days");
    const previousButton = document.getElementById("month-previous");
    const nextButton = document.getElementById("month-next");
    const jumpDate = document.getElementById("jump-date");
    const zoneSwitch = document.getElementById("zone-switch");
    const confirmSection = document.getElementById("confirm");
    const confirmSummary = document.getElementById("confirm-summary");
    const confirmProviderRow = document.getElementById("confirm-provider-row");
    const confirmProvider = document.getElementById("confirm-provider");
    const confirmButton = document.getElementById("confirm-button");
    const confirmCancel = document.getElementById("confirm-cancel");
    const cutoffWarning = document.getElementById("confirm-cutoff-warning");
    const cutoffHours = Number(form.dataset.cutoffHours || 0);

    const state = {
      month: null, // "YYYY-MM" of the month shown, in `zone`
      day: null, // "YYYY-MM-DD" of the day whose times are listed
      recommendationId: null,
      choice: null, // {start, end, providers: [{id, name}], fromRecommendation}
      loadToken: 0,
    };

    function deviceZone() {
      try {
        return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
      } catch (error) {
        return "";
      }
    }

    /* The time a visitor chose before logging in, back from the login or sign-up page
       (`?start=`): shown again once loaded, still free or said not to be. */
    const query = new URLSearchParams(window.location.search);
    const wanted = mode === "book" && query.get("start") ? query.get("start") : null;

    function startOfToday() {
      const now = new Date();
      return new Date(Math.floor(now.getTime() / 60000) * 60000);
    }

    function providerName(id) {
      const option = providerSelect && providerSelect.querySelector('option[value="' + id + '"]');
      return option ? option.textContent.trim() : "Provider " + id;
    }

    /* One slot of the API (available and recommended share the shape). */
    function slotOf(item) {
      return {
        start: item.start,
        end: item.end,
        providerId: String(item.provider.id),
        providerName: item.provider.name || providerName(item.provider.id),
        reasons: item.reasons || [],
        score: item.score,
        // The cut-off rule's answer, from the API: booked now, could it still be changed online?
        changeable: item.changeable !== false,
        // A group service's seats still free in that session (null: a private appointment).
        seatsLeft: item.seats_left == null ? null : item.seats_left,
      };
    }

    function seatsText(count) {
      return count === 1 ? "1 seat left" : count + " seats left";
    }

    function params(extra) {
      const query = new URLSearchParams();
      query.set("service", serviceSelect.value);
      if (providerSelect && providerSelect.value) query.set("provider", providerSelect.value);
      Object.keys(extra).forEach(function (key) { if (extra[key] != null && extra[key] !== "") query.set(key, extra[key]); });
      return query.toString();
    }

    function filterProviders() {
      if (!providerSelect) return;
      const service = serviceSelect.value;
      providerSelect.querySelectorAll("option[data-services]").forEach(function (option) {
        const offers = !service || option.dataset.services.split(" ").indexOf(service) !== -1;
        option.hidden = !offers;
        option.disabled = !offers;
        if (!offers && option.selected) providerSelect.value = "";
      });
    }

    function hideConfirm() {
      confirmSection.hidden = true;
      state.choice = null;
      document.querySelectorAll('[aria-pressed="true"]').forEach(function (el) { el.setAttribute("aria-pressed", "false"); });
      document.querySelectorAll(".sb-rec.is-chosen").forEach(function (card) {
        card.classList.remove("is-chosen");
        card.querySelector("button.sb-rec-pick").textContent = "Choose this time";
      });
    }

    /* "Tuesday 13 January, 10:00–10:30 (Europe/London)": start, end and the zone named. */
    function when(start, end) {
      return SB.formatDateTime(start, zone) + "–" + SB.formatTime(end, zone) + " (" + zone + ")";
    }

    /* "Knee assessment · 30 min · £50.00" for the chosen service. */
    function serviceLine() {
      const option = serviceSelect.options[serviceSelect.selectedIndex];
      if (!option || !option.value) return "";
      return [option.dataset.name || option.textContent.trim(), option.dataset.duration ? option.dataset.duration + " min" : "", option.dataset.price || ""]
        .filter(Boolean).join(" · ");
    }

    function choose(choice, button) {
      hideConfirm();
      state.choice = choice;
      if (button) {
        button.setAttribute("aria-pressed", "true");
        const card = button.closest(".sb-rec");
        if (card) {
          card.classList.add("is-chosen");
          button.textContent = "Chosen";
        }
      }
      const names = choice.providers.map(function (p) { return p.name; });
      confirmSummary.textContent = serviceLine() + ", " + when(choice.start, choice.end) +
        (choice.providers.length === 1 ? " with " + names[0] : "") + ".";
      confirmProvider.textContent = "";
      choice.providers.forEach(function (p) {
        confirmProvider.appendChild(SB.element("option", { value: p.id, text: p.name }));
      });
      confirmProviderRow.hidden = choice.providers.length < 2;
      // The chosen time, for the "repeat" choice (series.js).
      confirmSection.dataset.start = choice.start;
      confirmSection.dataset.provider = choice.providers[0].id;
      showCutoffWarning(choice);
      document.getElementById("start-error").textContent = "";
      confirmSection.hidden = false;
      if (visitor) {
        offerSignIn(choice);
        document.getElementById("visitor-login").focus();
      } else {
        confirmButton.focus();
      }
    }

    /* The log-in and sign-up links bring the visitor back here, to this time. */
    function offerSignIn(choice) {
      const back = new URLSearchParams();
      back.set("service", serviceSelect.value);
      back.set("provider", confirmProvider.value || choice.providers[0].id);
      back.set("start", choice.start);
      const next = "/book?" + back.toString();
      ["visitor-login", "visitor-signup"].forEach(function (id) {
        const link = document.getElementById(id);
        const base = link.dataset.base || link.getAttribute("href");
        link.dataset.base = base;
        link.setAttribute("href", base + "?next=" + encodeURIComponent(next));
      });
    }

    /* After loading the window that holds the wanted time: choose it if it is still offered. */
    function restoreWanted() {
      const button = Array.prototype.find.call(daysBox.querySelectorAll("button.sb-slot"), function (b) {
        return b.dataset.start === wanted;
      });
      const shown = SB.formatDateTime(wanted, zone);
      if (button) {
        button.click();
        SB.setStatus(status, "The time you chose, " + shown + ", is still free: confirm it below.", "info");
      } else {
        SB.setStatus(status, "Sorry — the time you chose, " + shown + ", is no longer free with this provider. Please pick another time.", "error");
      }
    }

    /* A time inside the client cut-off can be booked, but not changed or cancelled online
       afterwards: say so before confirming, with how to reach the provider. */
    function showCutoffWarning(choice) {
      cutoffWarning.textContent = "";
      cutoffWarning.hidden = choice.changeable;
      if (choice.changeable) return;
      const providerId = confirmProvider.value || choice.providers[0].id;
      const option = providerSelect && providerSelect.querySelector('option[value="' + providerId + '"]');
      const name = option ? option.textContent.trim() : choice.providers[0].name;
      const hours = cutoffHours === 1 ? "1 hour" : cutoffHours + " hours";
      const done = mode === "reschedule" ? "Once moved here" : "Once booked";
      const parts = [
        SB.element("strong", { text: "Please note: " }),
        done + ", this appointment cannot be changed or cancelled online, because it starts in less than " + hours + ". ",
      ];
      if (option && option.dataset.email) {
        parts.push("To change it later, contact " + name + " at ");
        parts.push(SB.element("a", { href: "mailto:" + option.dataset.email, text: option.dataset.email }));
        if (option.dataset.phone) {
          parts.push(" or ");
          parts.push(SB.element("a", { href: "tel:" + option.dataset.phone, text: option.dataset.phone }));
        }
        parts.push(".");
      }
      parts.forEach(function (part) { cutoffWarning.appendChild(typeof part === "string" ? document.createTextNode(part) : part); });
    }

    function renderRecommendations(data) {
      recommendationList.textContent = "";
      state.recommendationId = data ? (data.recommendation_id || data.id || null) : null;
      const items = SB.items(data).map(slotOf);
      if (!items.length) {
        recommendationList.appendChild(SB.element("li", { text: "No recommendations this month — pick a day below or try next month." }));
      }
      items.forEach(function (slot, index) {
        const button = SB.element("button", {
          type: "button", className: "sb-rec-pick", "aria-pressed": "false",
          "data-start": slot.start, "data-provider": slot.providerId,
          // Each button names its own time: three "Choose this time" read alike.
          "aria-label": "Choose " + SB.formatDateTime(slot.start, zone) + " with " + slot.providerName,
          text: "Choose this time",
        });
        button.addEventListener("click", function () {
          choose({ start: slot.start, end: slot.end, changeable: slot.changeable, providers: [{ id: slot.providerId, name: slot.providerName }], fromRecommendation: true }, button);
        });
        const reasons = SB.element("ul", {}, slot.reasons.map(function (reason) {
          return SB.element("li", { text: typeof reason === "string" ? reason : (reason.text || reason.label || String(reason)) });
        }));
        recommendationList.appendChild(SB.element("li", { className: "sb-rec", "data-rank": String(index + 1) }, [
          SB.element("strong", { className: "sb-rec-when", text: when(slot.start, slot.end) }),
          SB.element("div", { text: "with " + slot.providerName }),
          SB.element("div", { className: "sb-rec-service sb-muted", text: serviceLine() + (slot.seatsLeft == null ? "" : " · " + seatsText(slot.seatsLeft)) }),
          reasons,
          button,
        ]));
      });
      recommendedSection.hidden = false;
    }

    /* The month view. A month's free times come in one request (with its recommendations),
       kept per zone, service, provider and month while the client changes day. */
    const months = new Map();

    /* The viewer's local day of an instant. Formatting a date in a zone is the costliest
       step of drawing a month of times, so it runs once per quarter hour (every zone's
       midnight falls on one), not once per slot. */
    const localDays = new Map();
    function localDay(iso) {
      const quarter = Math.floor(Date.parse(iso) / 900000);
      const key = zone + "|" + quarter;
      let day = localDays.get(key);
      if (day === undefined) {
        day = SB.dayKey(new Date(quarter * 900000).toISOString(), zone);
        localDays.set(key, day);
      }
      return day;
    }

    function monthKeyOf(date) {
      return SB.dayKey(date.toISOString(), zone).slice(0, 7);
    }

    /* The instant a month (YYYY-MM) begins in the viewer's zone, `add` months on. */
    function monthStart(key, add) {
      const parts = key.split("-").map(Number);
      const first = new Date(Date.UTC(parts[0], parts[1] - 1 + (add || 0), 1, 12));
      return SB.dayStart(first, zone, 0);
    }

    /* What may be asked of a month: from now (or its start) to its end or the horizon. */
    function monthRange(key) {
      const now = startOfToday();
      const horizon = new Date(now.getTime() + horizonDays * 86400000);
      const start = new Date(Math.max(monthStart(key).getTime(), now.getTime()));
      const end = new Date(Math.min(monthStart(key, 1).getTime(), horizon.getTime()));
      return end > start ? { start: start, end: end } : null;
    }

    function cacheKey(key) {
      return [zone, serviceSelect.value, providerSelect ? providerSelect.value : "", key].join("|");
    }

    /* Free times of the month by local day: {times, full, closed} ready to draw. */
    function monthOf(slots, fullDays, closedDays) {
      const byDay = new Map();
      slots.map(slotOf).forEach(function (slot) {
        const key = localDay(slot.start);
        if (!byDay.has(key)) byDay.set(key, new Map());
        const times = byDay.get(key);
        if (!times.has(slot.start)) times.set(slot.start, { start: slot.start, end: slot.end, changeable: slot.changeable, providers: [], seatsLeft: null });
        const time = times.get(slot.start);
        time.providers.push({ id: slot.providerId, name: slot.providerName });
        if (slot.seatsLeft != null) time.seatsLeft = (time.seatsLeft || 0) + slot.seatsLeft;
      });
      const days = new Map();
      byDay.forEach(function (times, key) {
        days.set(key, Array.from(times.values()).sort(function (a, b) { return a.start < b.start ? -1 : 1; }));
      });
      return {
        days: days,
        full: new Map((fullDays || []).map(function (day) { return [day.date, day.reason]; })),
        closed: new Set(closedDays || []),
      };
    }

    async function fetchMonth(key) {
      const cached = months.get(cacheKey(key));
      if (cached) return cached;
      const range = monthRange(key);
      if (!range) {
        const empty = { month: monthOf([], [], []), recommended: null, failed: null };
        months.set(cacheKey(key), empty);
        return empty;
      }
      const asked = { start: range.start.toISOString(), end: range.end.toISOString() };
      // Moving an appointment: its own time is free for the move, its current start is not a move.
      if (mode === "reschedule" && appointmentId) asked.reschedule = appointmentId;
      const recommendedQuery = Object.assign({ limit: 3, urgency: urgencySelect ? urgencySelect.value : "" }, asked);
      const availableQuery = Object.assign({ timezone: zone }, asked);
      // Recommendations are for signed-in clients: a visitor browses the free times.
      const [recommended, available] = await Promise.all([
        visitor ? Promise.resolve(null) : SB.request("GET", "/api/appointments/recommended?" + params(recommendedQuery)),
        SB.request("GET", "/api/appointments/available?" + params(availableQuery)),
      ]);
      const failed = [recommended, available].find(function (r) { return r && !r.ok; }) || null;
      const result = {
        month: available.ok ? monthOf(SB.items(available.data), available.data.full_days, available.data.closed_days) : monthOf([], [], []),
        recommended: recommended && recommended.ok ? recommended.data : null,
        failed: failed,
      };
      if (!failed) months.set(cacheKey(key), result);
      return result;
    }

    /* What a bookable day of the month is, for its button in the month (`kind`, `note`) and
       for the day's own panel (`sentence`): free times, or why there are none. */
    function dayState(month, dayKey, times, todayKey) {
      if (times.length) return { kind: "has-times", note: countText(times.length), sentence: "" };
      if (dayKey === todayKey) {
        // Today's hours may be over: neither closed nor booked up.
        return { kind: "is-none", note: "no free times left today", sentence: "No free times left today." };
      }
      if (month.closed.has(dayKey)) return { kind: "is-closed", note: "closed", sentence: "Closed: nobody works this day." };
      if (month.full.has(dayKey)) return { kind: "is-full", note: month.full.get(dayKey), sentence: month.full.get(dayKey) };
      return { kind: "is-none", note: "fully booked", sentence: "No free times this day: it is fully booked." };
    }

    function countText(count) {
      return count === 1 ? "1 free time" : count + " free times";
    }

    /* Each local day of the month in weekday columns (Monday first), so weeks line up: a day
       with free times is a button with their number; a working day without any says it is
       fully booked (or full for this client, in the rules' words); a day nobody works is
       closed; days before today or past the horizon are greyed out. */
    function renderMonth(key, month) {
      monthBody.textContent = "";
      const first = monthStart(key);
      monthLabel.textContent = monthTitle(first);
      const range = monthRange(key);
      const parts = key.split("-").map(Number);
      const daysInMonth = new Date(Date.UTC(parts[0], parts[1], 0)).getUTCDate();
      const lead = (new Date(Date.UTC(parts[0], parts[1] - 1, 1)).getUTCDay() + 6) % 7;
      const todayKey = SB.dayKey(new Date().toISOString(), zone);
      const lastKey = range ? SB.dayKey(new Date(range.end.getTime() - 1).toISOString(), zone) : "";
      const firstKey = range ? SB.dayKey(range.start.toISOString(), zone) : "~";
      let row = SB.element("tr");
      for (let i = 0; i < lead; i++) row.appendChild(SB.element("td"));
      for (let day = 1; day <= daysInMonth; day++) {
        const dayKey = key + "-" + String(day).padStart(2, "0");
        const noon = new Date(Date.UTC(parts[0], parts[1] - 1, day, 12));
        const title = new Intl.DateTimeFormat("en-GB", { weekday: "long", day: "numeric", month: "long", timeZone: "UTC" }).format(noon);
        const times = month.days.get(dayKey) || [];
        let kind;
        let note;
        if (!range || dayKey < firstKey || dayKey > lastKey) {
          kind = "is-out";
          note = dayKey < todayKey ? "past" : "not bookable yet";
        } else {
          const about = dayState(month, dayKey, times, todayKey);
          kind = about.kind;
          note = about.note;
        }
        const cell = SB.element("td");
        const button = SB.element("button", {
          type: "button", className: "sb-cal-day " + kind + (dayKey === todayKey ? " is-today" : ""),
          "data-day": dayKey, "aria-pressed": dayKey === state.day ? "true" : "false",
          "aria-label": title + ": " + note,
        }, [SB.element("span", { className: "sb-cal-number", text: String(day) }),
          SB.element("span", { className: "sb-cal-note", "aria-hidden": "true", text: kind === "has-times" ? String(times.length) : (kind === "is-closed" ? "closed" : "") })]);
        if (kind === "is-out") button.disabled = true;
        button.addEventListener("click", function () { selectDay(dayKey); });
        cell.appendChild(button);
        row.appendChild(cell);
        if ((lead + day) % 7 === 0) {
          monthBody.appendChild(row);
          row = SB.element("tr");
        }
      }
      if (row.children.length) {
        while (row.children.length < 7) row.appendChild(SB.element("td"));
        monthBody.appendChild(row);
      }
      previousButton.disabled = key <= monthKeyOf(startOfToday());
      nextButton.disabled = !monthRange(shiftMonth(key, 1));
    }

    function monthTitle(first) {
      return new Intl.DateTimeFormat("en-GB", { month: "long", year: "numeric", timeZone: zone }).format(new Date(first.getTime() + 43200000));
    }

    function shiftMonth(key, add) {
      const parts = key.split("-").map(Number);
      const date = new Date(Date.UTC(parts[0], parts[1] - 1 + add, 1));
      return date.getUTCFullYear() + "-" + String(date.getUTCMonth() + 1).padStart(2, "0");
    }

    /* Part of the day of a local start: before noon, before five, or later. */
    function partOfDay(iso) {
      const hour = Number(SB.formatTime(iso, zone).slice(0, 2));
      return hour < 12 ? "Morning" : hour < 17 ? "Afternoon" : "Evening";
    }

    /* The chosen day's times as a short list in three groups. */
    function renderDay(month) {
      hideConfirm();
      daysBox.textContent = "";
      monthBody.querySelectorAll("button.sb-cal-day").forEach(function (button) {
        button.setAttribute("aria-pressed", button.dataset.day === state.day ? "true" : "false");
      });
      if (!state.day) {
        dayTitle.textContent = "";
        const next = shiftMonth(state.month, 1);
        const empty = SB.element("p", { id: "no-slots" }, ["No free times left in " + monthLabel.textContent + ". "]);
        if (monthRange(next)) {
          const button = SB.element("button", { type: "button", className: "sb-secondary", text: "Try next month" });
          button.addEventListener("click", function () { showMonth(next); });
          empty.appendChild(button);
        }
        daysBox.appendChild(empty);
        return;
      }
      const noon = new Date(state.day + "T12:00:00Z");
      dayTitle.textContent = new Intl.DateTimeFormat("en-GB", { weekday: "long", day: "numeric", month: "long", timeZone: "UTC" }).format(noon);
      const times = month.days.get(state.day) || [];
      if (!times.length) {
        const empty = dayState(month, state.day, times, SB.dayKey(new Date().toISOString(), zone));
        daysBox.appendChild(SB.element("section", { className: "sb-day sb-day-empty" + (empty.kind === "is-full" ? " is-full" : ""), "data-day": state.day }, [
          SB.element("p", { className: "sb-muted", text: empty.sentence }),
        ]));
        return;
      }
      const groups = new Map([["Morning", []], ["Afternoon", []], ["Evening", []]]);
      times.forEach(function (time) { groups.get(partOfDay(time.start)).push(time); });
      const day = SB.element("section", { className: "sb-day", "data-day": state.day, "aria-label": dayTitle.textContent });
      groups.forEach(function (list, name) {
        if (!list.length) return;
        const slots = SB.element("div", { className: "sb-slots" });
        list.forEach(function (time) {
          const label = SB.formatTime(time.start, zone);
          const who = time.providers.length === 1 ? time.providers[0].name : time.providers.length + " providers";
          const seats = time.seatsLeft == null ? "" : ", " + seatsText(time.seatsLeft);
          const button = SB.element("button", {
            type: "button", className: "sb-slot", "aria-pressed": "false",
            "data-start": time.start, "aria-label": label + " with " + who + seats, text: label,
          });
          if (seats) button.appendChild(SB.element("span", { className: "sb-seats", text: seatsText(time.seatsLeft) }));
          button.addEventListener("click", function () {
            choose({ start: time.start, end: time.end, changeable: time.changeable, providers: time.providers, fromRecommendation: false }, button);
          });
          slots.appendChild(button);
        });
        day.appendChild(SB.element("div", { className: "sb-part" }, [SB.element("h4", { text: name + " (" + list.length + ")" }), slots]));
      });
      daysBox.appendChild(day);
    }

    function selectDay(key) {
      const month = months.get(cacheKey(state.month));
      if (!month) return;
      state.day = key;
      renderDay(month.month);
    }

    /* Show a month (fetched once), then a day of it: `day` if given, else the first with
       free times. */
    async function showMonth(key, day, message) {
      hideConfirm();
      if (!serviceSelect.value) {
        recommendedSection.hidden = true;
        browseSection.hidden = true;
        SB.setStatus(status, "Choose a service to see the times we recommend.", "info");
        return;
      }
      const token = ++state.loadToken;
      state.month = key;
      const cached = months.has(cacheKey(key));
      if (!cached) {
        SB.setStatus(status, message || "Finding the best times for you…", message ? "error" : "info");
        (visitor ? [browseSection] : [recommendedSection, browseSection]).forEach(function (section) {
          section.hidden = false;
          section.setAttribute("aria-busy", "true");
        });
        recommendationList.textContent = "";
        recommendationList.appendChild(SB.element("li", { className: "sb-loading", text: "Finding the best times for you…" }));
        daysBox.textContent = "";
        daysBox.appendChild(SB.element("p", { className: "sb-loading", text: "Loading free times…" }));
      }
      const result = await fetchMonth(key);
      if (token !== state.loadToken) return; // a newer request superseded this one
      [recommendedSection, browseSection].forEach(function (section) { section.removeAttribute("aria-busy"); });
      SB.clearErrors(form);
      if (result.failed) {
        const orphans = SB.showErrors(form, (result.failed.data && result.failed.data.errors) || {});
        SB.setStatus(status, SB.refusal(result.failed, orphans, "Could not load free times."), "error");
      } else if (!message && !cached) {
        SB.setStatus(status, "", "info");
      }
      if (visitor) recommendedSection.hidden = true;
      else renderRecommendations(result.recommended);
      browseSection.hidden = false;
      if (result.failed) {
        // Nothing is known about this month: no day is drawn as booked or closed.
        monthLabel.textContent = monthTitle(monthStart(key));
        monthBody.textContent = "";
        dayTitle.textContent = "";
        daysBox.textContent = "";
        return;
      }
      const month = result.month;
      const firstFree = Array.from(month.days.keys()).sort()[0] || null;
      state.day = day && day.slice(0, 7) === key ? day : firstFree;
      renderMonth(key, month);
      renderDay(month);
      const range = monthRange(key);
      if (range) {
        jumpDate.min = SB.dayKey(startOfToday().toISOString(), zone);
        jumpDate.max = SB.dayKey(new Date(startOfToday().getTime() + horizonDays * 86400000 - 1).toISOString(), zone);
      }
      if (wanted && !state.restored) {
        state.restored = true;
        restoreWanted();
      }
    }

    /* Everything asked again (another service, provider, urgency or zone; a time taken). */
    function reload(message) {
      months.clear();
      return showMonth(state.month || monthKeyOf(startOfToday()), state.day, message);
    }

    function jump() {
      const value = jumpDate.value;
      const error = document.getElementById("jump-date-error");
      error.textContent = "";
      jumpDate.removeAttribute("aria-invalid");
      if (!value) return;
      if ((jumpDate.min && value < jumpDate.min) || (jumpDate.max && value > jumpDate.max)) {
        error.textContent = "Choose a date from " + jumpDate.min + " to " + jumpDate.max + ": times can be booked up to " + horizonDays + " days ahead.";
        jumpDate.setAttribute("aria-invalid", "true");
        return;
      }
      showMonth(value.slice(0, 7), value);
    }

    /* The zones the switcher offers: the viewer's own first, then every zone the browser knows. */
    function fillZones() {
      const device = deviceZone();
      zoneSwitch.appendChild(SB.element("option", { value: homeZone, text: homeZone + (visitor ? " (this device)" : " (your time zone)") }));
      if (device && device !== homeZone) zoneSwitch.appendChild(SB.element("option", { value: device, text: device + " (this device)" }));
      zoneSwitch.value = homeZone;
      // Every other zone the browser knows, added when the switcher is first reached (not
      // while the page loads: four hundred options would delay the times).
      const more = function () {
        zoneSwitch.removeEventListener("focus", more);
        zoneSwitch.removeEventListener("pointerdown", more);
        const known = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
        const fragment = document.createDocumentFragment();
        known.forEach(function (name) {
          if (name !== homeZone && name !== device) fragment.appendChild(SB.element("option", { value: name, text: name }));
        });
        zoneSwitch.appendChild(fragment);
      };
      zoneSwitch.addEventListener("focus", more);
      zoneSwitch.addEventListener("pointerdown", more);
    }

    function showZone() {
      document.querySelectorAll("[data-zone-label]").forEach(function (label) { label.textContent = zone; });
      const origin = document.getElementById("zone-origin");
      if (origin) origin.textContent = zone === homeZone ? (visitor ? ", your device's time zone" : "") : " (switched on this page)";
    }


    async function confirm() {
      if (!state.choice) return;
      const choice = state.choice;
      const providerId = confirmProvider.value || choice.providers[0].id;
      confirmButton.disabled = true;
      SB.setStatus(status, mode === "reschedule" ? "Moving your appointment…" : "Booking…", "info");
      let result;
      if (mode === "reschedule") {
        result = await SB.request("PATCH", "/api/appointments/" + appointmentId, { start: choice.start });
      } else {
        const body = {
          service: Number(serviceSelect.value),
          provider: Number(providerId),
          start: choice.start,
          urgency: urgencySelect ? urgencySelect.value : undefined,
          client_notes: noteField ? noteField.value : "",
        };
        if (choice.fromRecommendation && state.recommendationId) body.recommendation_id = state.recommendationId;
        result = await SB.request("POST", "/api/appointments", body);
      }
      confirmButton.disabled = false;
      if (result.ok) {
        const id = mode === "reschedule" ? appointmentId : result.data.id;
        window.location.assign("/appointments/" + id + (mode === "reschedule" ? "?moved=1" : "?booked=1"));
        return;
      }
      if (result.status === 409) {
        // Taken meanwhile: keep the form as it is and offer fresh recommendations.
        const detail = (result.data && result.data.detail) || "That time is no longer available.";
        await reload("Sorry — " + detail.charAt(0).toLowerCase() + detail.slice(1) + " Here are fresh recommendations; your details are kept.");
        return;
      }
      const errors = (result.data && result.data.errors) || {};
      const orphans = SB.showErrors(form, errors);
      const startError = document.getElementById("start-error");
      const startMessages = [].concat(errors.start || []);
      if (startMessages.length) startError.textContent = startMessages.join(" ");
      SB.setStatus(status, SB.refusal(result, orphans, "That did not work."), "error");
    }

    serviceSelect.addEventListener("change", function () { filterProviders(); state.day = null; state.month = monthKeyOf(startOfToday()); reload(); });
    if (providerSelect) providerSelect.addEventListener("change", function () { reload(); });
    if (urgencySelect) urgencySelect.addEventListener("change", function () { reload(); });
    previousButton.addEventListener("click", function () { showMonth(shiftMonth(state.month, -1)); });
    nextButton.addEventListener("click", function () { showMonth(shiftMonth(state.month, 1)); });
    jumpDate.addEventListener("change", jump);
    zoneSwitch.addEventListener("change", function () {
      zone = zoneSwitch.value;
      showZone();
      reload();
    });
    if (confirmButton) confirmButton.addEventListener("click", confirm);
    confirmCancel.addEventListener("click", function () { hideConfirm(); });
    confirmProvider.addEventListener("change", function () { if (state.choice) showCutoffWarning(state.choice); });

    filterProviders();
    fillZones();
    showZone();
    // Open on the month of the wanted time (back from logging in), else this month.
    const opening = wanted && new Date(wanted).getTime() > Date.now() ? new Date(wanted) : startOfToday();
    showMonth(monthKeyOf(opening), wanted ? SB.dayKey(wanted, zone) : null);
  });
})();
