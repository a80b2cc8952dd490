/* The booking page's "repeat" choice (templates/pages/_series_repeat.html): the chosen time
   as a series. Every date is checked by the server's booking rules (/api/series/check);
   refused ones show why and the closest free times, which the client may pick; then the
   series is booked in one step (/api/series), all that fit or nothing unless all fit. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }

  ready(function () {
    const fieldset = document.getElementById("series-repeat");
    const confirmSection = document.getElementById("confirm");
    if (!fieldset || !confirmSection) return;
    const form = document.getElementById("booking-form");
    const zone = form.dataset.timezone;
    const frequency = document.getElementById("repeat-frequency");
    const count = document.getElementById("repeat-count");
    const countRow = document.getElementById("repeat-count-row");
    const details = document.getElementById("repeat-details");
    const checkButton = document.getElementById("repeat-check");
    const list = document.getElementById("repeat-occurrences");
    const choice = document.getElementById("repeat-choice");
    const bookButton = document.getElementById("repeat-book");
    const status = document.getElementById("repeat-status");
    const singleButton = document.getElementById("confirm-button");
    const confirmProvider = document.getElementById("confirm-provider");
    const state = { replacements: new Map(), checked: null };

    function repeating() { return frequency.value !== ""; }

    function body() {
      return {
        provider: Number(confirmProvider.value || confirmSection.dataset.provider),
        service: Number(document.getElementById("service").value),
        start: confirmSection.dataset.start,
        frequency: frequency.value,
        count: Number(count.value),
        replacements: Array.from(state.replacements, function (pair) {
          return { original_start: pair[0], start: pair[1] };
        }),
      };
    }

    /* What booking adds to the check's question: the mode, the urgency and the note. */
    function bookingBody(mode) {
      const urgency = document.getElementById("urgency");
      const notes = document.getElementById("client_notes");
      return Object.assign(body(), {
        mode: mode,
        urgency: urgency ? urgency.value : undefined,
        client_notes: notes ? notes.value : "",
      });
    }

    function reset() {
      state.replacements.clear();
      state.checked = null;
      list.textContent = "";
      choice.hidden = true;
      SB.setStatus(status, "");
      SB.clearErrors(fieldset);
    }

    function sync() {
      const on = repeating();
      countRow.hidden = !on;
      details.hidden = !on;
      singleButton.hidden = on;  // a series is booked with its own button below
      reset();
    }

    function line(text, extra) {
      return SB.element("span", extra || {}, [text]);
    }

    function render(data) {
      list.textContent = "";
      data.occurrences.forEach(function (occurrence) {
        const item = SB.element("li", { className: occurrence.available ? "is-free" : "is-taken" });
        const moved = occurrence.start !== occurrence.original_start;
        item.appendChild(line(SB.formatDateTime(occurrence.start, zone) + (moved ? " (another time chosen)" : "") + ": "));
        if (occurrence.available) {
          item.appendChild(line("free", { className: "sb-ok" }));
        } else {
          item.appendChild(line("not available: " + occurrence.refusal.message, { className: "sb-error" }));
          if (occurrence.alternatives.length) {
            const options = SB.element("div", { className: "sb-actions" }, [line("Instead: ")]);
            occurrence.alternatives.forEach(function (slot) {
              const button = SB.element("button", { type: "button", className: "sb-secondary", text: SB.formatDateTime(slot.start, zone) });
              button.addEventListener("click", function () {
                state.replacements.set(occurrence.original_start, slot.start);
                check();
              });
              options.appendChild(button);
            });
            item.appendChild(options);
          }
        }
        list.appendChild(item);
      });
      const refused = data.count - data.available_count;
      SB.setStatus(status, refused
        ? data.available_count + " of " + data.count + " dates are free."
        : "All " + data.count + " dates are free.", refused ? "info" : "ok");
      choice.hidden = data.available_count === 0;
    }

    async function check() {
      SB.clearErrors(fieldset);
      SB.setStatus(status, "Checking the dates…", "info");
      const result = await SB.request("POST", "/api/series/check", body());
      if (!result.ok) {
        const orphans = SB.showErrors(fieldset, (result.data && result.data.errors) || {});
        SB.setStatus(status, SB.refusal(result, orphans, "Those dates could not be checked."), "error");
        choice.hidden = true;
        return;
      }
      state.checked = result.data;
      render(result.data);
    }

    async function book() {
      const mode = fieldset.querySelector('input[name="repeat-mode"]:checked').value;
      bookButton.disabled = true;
      SB.setStatus(status, "Booking the series…", "info");
      const result = await SB.request("POST", "/api/series", bookingBody(mode));
      bookButton.disabled = false;
      if (result.ok) {
        const first = result.data.occurrences.find(function (o) { return o.status !== "cancelled"; });
        window.location.assign("/appointments/" + first.id + "?booked=1");
        return;
      }
      const orphans = SB.showErrors(fieldset, (result.data && result.data.errors) || {});
      SB.setStatus(status, SB.refusal(result, orphans, "The series could not be booked."), "error");
      if (result.status === 409) check();  // show what changed meanwhile
    }

    frequency.addEventListener("change", sync);
    count.addEventListener("change", reset);
    checkButton.addEventListener("click", check);
    bookButton.addEventListener("click", book);
    confirmProvider.addEventListener("change", reset);
    // A new time chosen above starts the series afresh.
    new MutationObserver(function () { if (confirmSection.hidden) { frequency.value = ""; sync(); } else { reset(); } })
      .observe(confirmSection, { attributes: true, attributeFilter: ["hidden", "data-start"] });
  });
})();
