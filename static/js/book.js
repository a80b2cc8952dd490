/* Book and reschedule pages: "Recommended for you" above a browsable availability view.
   Everything goes through the API: GET /api/appointments/recommended and /available,
   POST /api/appointments (book) or PUT /api/appointments/<id> (reschedule). */
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
    const zone = form.dataset.timezone || (visitor && deviceZone()) || SB.viewerZone();
    document.querySelectorAll("[data-zone-label]").forEach(function (label) { label.textContent = zone; });
    const windowDays = Number(form.dataset.windowDays || 14);
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
    const windowLabel = document.getElementById("window-label");
    const previousButton = document.getElementById("window-previous");
    const nextButton = document.getElementById("window-next");
    const confirmSection = document.getElementById("confirm");
    const confirmSummary = document.getElementById("confirm-summary");
    const confirmProviderRow = document.getElementById("confirm-provider-row");
    const confirmProvider = document.getElementById("confirm-provider");
    const confirmButton = document.getElementById("confirm-button");
    const confirmCancel = document.getElementById("confirm-cancel");
    const cutoffWarning = document.getElementById("confirm-cutoff-warning");
    const cutoffHours = Number(form.dataset.cutoffHours || 0);

    const state = {
      windowStart: startOfToday(),
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
        recommendationList.appendChild(SB.element("li", { text: "No recommendations in this window — browse the free times below or try the next two weeks." }));
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

    /* Every local day of the window, in order, so weeks line up: a day with times lists
       them, a day the client already has their most appointments on says so (the rules'
       own words, from the API), any other day says it has no free times. */
    function renderDays(slots, fullDays, windowStart, windowEnd) {
      daysBox.textContent = "";
      windowLabel.textContent = SB.formatDay(windowStart.toISOString(), zone) + " – " + SB.formatDay(new Date(windowEnd.getTime() - 1).toISOString(), zone);
      const byDay = new Map();
      slots.map(slotOf).forEach(function (slot) {
        const key = SB.dayKey(slot.start, zone);
        if (!byDay.has(key)) byDay.set(key, new Map());
        const times = byDay.get(key);
        if (!times.has(slot.start)) times.set(slot.start, { start: slot.start, end: slot.end, changeable: slot.changeable, providers: [], seatsLeft: null });
        const time = times.get(slot.start);
        time.providers.push({ id: slot.providerId, name: slot.providerName });
        if (slot.seatsLeft != null) time.seatsLeft = (time.seatsLeft || 0) + slot.seatsLeft;
      });
      const full = new Map((fullDays || []).map(function (day) { return [day.date, day.reason]; }));
      if (!byDay.size) {
        const empty = SB.element("p", { id: "no-slots" }, ["No free slots in this window — ", SB.element("button", { type: "button", className: "sb-secondary", text: "try the next two weeks" })]);
        empty.querySelector("button").addEventListener("click", function () { move(1); });
        daysBox.appendChild(empty);
      }
      for (let offset = 0; ; offset++) {
        const dayBegins = offset === 0 ? windowStart : SB.dayStart(windowStart, zone, offset);
        if (dayBegins.getTime() >= windowEnd.getTime()) break;
        const key = SB.dayKey(dayBegins.toISOString(), zone);
        const title = SB.formatDay(dayBegins.toISOString(), zone);
        // On a wide screen the days sit in weekday columns (Monday first): the first day
        // starts in its own column, the rest follow.
        const column = offset === 0 ? " sb-starts-" + ((new Date(key + "T12:00:00Z").getUTCDay() + 6) % 7 + 1) : "";
        if (!byDay.has(key)) {
          const note = full.has(key) ? full.get(key) : "No free times.";
          daysBox.appendChild(SB.element("section", { className: "sb-day sb-card sb-day-empty" + (full.has(key) ? " is-full" : "") + column, "aria-label": title, "data-day": key }, [
            SB.element("h3", { text: title }),
            SB.element("p", { className: "sb-muted", text: note }),
          ]));
          continue;
        }
        const times = Array.from(byDay.get(key).values()).sort(function (a, b) { return a.start < b.start ? -1 : 1; });
        const list = SB.element("div", { className: "sb-slots" });
        times.forEach(function (time) {
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
          list.appendChild(button);
        });
        daysBox.appendChild(SB.element("section", { className: "sb-day sb-card" + column, "aria-label": title, "data-day": key }, [
          SB.element("h3", { text: title }),
          list,
        ]));
      }
    }

    async function load(message) {
      hideConfirm();
      if (!serviceSelect.value) {
        recommendedSection.hidden = true;
        browseSection.hidden = true;
        SB.setStatus(status, "Choose a service to see the times we recommend.", "info");
        return;
      }
      const token = ++state.loadToken;
      const windowStart = state.windowStart;
      const windowEnd = windowEndOf(windowStart);
      previousButton.disabled = windowStart.getTime() <= startOfToday().getTime() + 60000;
      SB.setStatus(status, message || "Finding the best times for you…", message ? "error" : "info");
      // Loading state: the old times go at once, so nobody picks from a stale list.
      (visitor ? [browseSection] : [recommendedSection, browseSection]).forEach(function (section) {
        section.hidden = false;
        section.setAttribute("aria-busy", "true");
      });
      recommendationList.textContent = "";
      recommendationList.appendChild(SB.element("li", { className: "sb-loading", text: "Finding the best times for you…" }));
      daysBox.textContent = "";
      daysBox.appendChild(SB.element("p", { className: "sb-loading", text: "Loading free times…" }));
      const range = { start: windowStart.toISOString(), end: windowEnd.toISOString() };
      // Moving an appointment: its own time is free for the move, its current start is not a move.
      if (mode === "reschedule" && appointmentId) range.reschedule = appointmentId;
      const recommendedQuery = Object.assign({ limit: 3, urgency: urgencySelect ? urgencySelect.value : "" }, range);
      // Recommendations are for signed-in clients: a visitor browses the free times.
      const [recommended, available] = await Promise.all([
        visitor ? Promise.resolve(null) : SB.request("GET", "/api/appointments/recommended?" + params(recommendedQuery)),
        SB.request("GET", "/api/appointments/available?" + params(range)),
      ]);
      if (token !== state.loadToken) return; // a newer request superseded this one
      [recommendedSection, browseSection].forEach(function (section) { section.removeAttribute("aria-busy"); });
      SB.clearErrors(form);
      const failed = [recommended, available].find(function (r) { return r && !r.ok; });
      if (failed) {
        const orphans = SB.showErrors(form, (failed.data && failed.data.errors) || {});
        SB.setStatus(status, SB.refusal(failed, orphans, "Could not load free times."), "error");
      } else if (!message) {
        SB.setStatus(status, "", "info");
      }
      if (visitor) recommendedSection.hidden = true;
      else renderRecommendations(recommended.ok ? recommended.data : null);
      renderDays(available.ok ? SB.items(available.data) : [], available.ok ? available.data.full_days : [], windowStart, windowEnd);
      browseSection.hidden = false;
      if (wanted && !state.restored) {
        state.restored = true;
        restoreWanted();
      }
    }

    /* A window is `windowDays` whole local days of the viewer's zone, the first from now:
       it ends where the next one begins, at a local midnight, so no day is lost or split. */
    function windowEndOf(windowStart) {
      return SB.dayStart(windowStart, zone, windowDays);
    }

    function move(direction) {
      const next = direction > 0
        ? windowEndOf(state.windowStart)
        : SB.dayStart(state.windowStart, zone, -windowDays);
      state.windowStart = next.getTime() < startOfToday().getTime() ? startOfToday() : next;
      load();
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
        await load("Sorry — " + detail.charAt(0).toLowerCase() + detail.slice(1) + " Here are fresh recommendations; your details are kept.");
        return;
      }
      const errors = (result.data && result.data.errors) || {};
      const orphans = SB.showErrors(form, errors);
      const startError = document.getElementById("start-error");
      const startMessages = [].concat(errors.start || []);
      if (startMessages.length) startError.textContent = startMessages.join(" ");
      SB.setStatus(status, SB.refusal(result, orphans, "That did not work."), "error");
    }

    serviceSelect.addEventListener("change", function () { filterProviders(); state.windowStart = startOfToday(); load(); });
    if (providerSelect) providerSelect.addEventListener("change", function () { load(); });
    if (urgencySelect) urgencySelect.addEventListener("change", function () { load(); });
    previousButton.addEventListener("click", function () { move(-1); });
    nextButton.addEventListener("click", function () { move(1); });
    if (confirmButton) confirmButton.addEventListener("click", confirm);
    confirmCancel.addEventListener("click", function () { hideConfirm(); });
    confirmProvider.addEventListener("change", function () { if (state.choice) showCutoffWarning(state.choice); });

    filterProviders();
    if (wanted && new Date(wanted).getTime() > Date.now()) {
      // Open on the window that holds the wanted time.
      for (let i = 0; i < 60 && windowEndOf(state.windowStart).getTime() <= new Date(wanted).getTime(); i++) {
        state.windowStart = windowEndOf(state.windowStart);
      }
    }
    load();
  });
})();
