/* Appointment page and provider schedule: cancel with a reason, mark completed or no-show. */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }

  ready(function () {
    const cancelForm = document.getElementById("cancel-form");
    if (cancelForm) {
      const status = document.getElementById("cancel-status");
      const ask = document.getElementById("cancel-confirm");
      const yes = document.getElementById("cancel-yes");
      const no = document.getElementById("cancel-no");
      const first = cancelForm.querySelector("button[type=submit]");
      // First the reason, then one more step: "Yes, cancel it" or "No, keep it".
      cancelForm.addEventListener("submit", function (event) {
        event.preventDefault();
        SB.clearErrors(cancelForm);
        const reason = cancelForm.querySelector("#reason").value.trim();
        if (!reason) {
          SB.showErrors(cancelForm, { reason: ["Please tell us why you are cancelling."] });
          return;
        }
        ask.hidden = false;
        first.hidden = true;
        yes.focus();
      });
      no.addEventListener("click", function () {
        ask.hidden = true;
        first.hidden = false;
        first.focus();
      });
      yes.addEventListener("click", async function () {
        const reason = cancelForm.querySelector("#reason").value.trim();
        const button = yes;
        button.disabled = true;
        SB.setStatus(status, "Cancelling…", "info");
        const id = cancelForm.dataset.appointmentId;
        const result = await SB.request("DELETE", "/api/appointments/" + id, { reason: reason });
        button.disabled = false;
        if (result.ok) {
          SB.setStatus(status, "Your appointment is cancelled.", "ok");
          window.location.assign("/appointments/" + id + "?cancelled=1");
          return;
        }
        ask.hidden = true;
        first.hidden = false;
        const orphans = SB.showErrors(cancelForm, (result.data && result.data.errors) || {});
        SB.setStatus(status, SB.refusal(result, orphans, "The appointment could not be cancelled."), "error");
      });
    }

    document.querySelectorAll("button[data-outcome]").forEach(function (button) {
      button.addEventListener("click", async function () {
        const id = button.dataset.appointmentId;
        const outcome = button.dataset.outcome;
        const container = button.closest("[data-appointment-id], section") || document;
        const status = document.getElementById("schedule-status") || container.querySelector(".outcome-status") || document.querySelector(".outcome-status");
        button.disabled = true;
        const result = await SB.request("POST", "/api/appointments/" + id + "/" + outcome, {});
        if (result.ok) {
          SB.setStatus(status, outcome === "complete" ? "Marked as completed." : "Marked as no-show.", "ok");
          window.location.reload();
        } else {
          button.disabled = false;
          SB.setStatus(status, (result.data && result.data.detail) || "That did not work.", "error");
        }
      });
    });
  });
})();
