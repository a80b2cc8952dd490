/* An appointment of a series (templates/pages/_series_occurrences.html): cancel it and the
   following ones, or every one still to come, in one request (/api/series/{id}/cancel). */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }

  ready(function () {
    const form = document.getElementById("series-cancel-form");
    if (!form) return;
    const status = document.getElementById("series-status");
    const button = document.getElementById("series-cancel-button");
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      const scope = form.querySelector('input[name="series-scope"]:checked').value;
      const words = scope === "all" ? "every appointment of this series still to come" : "this appointment and the following ones";
      if (!window.confirm("Cancel " + words + "? The times go to someone else.")) return;
      button.disabled = true;
      SB.setStatus(status, "Cancelling…", "info");
      const result = await SB.request("POST", "/api/series/" + form.dataset.seriesId + "/cancel", {
        appointment: Number(form.dataset.appointmentId),
        scope: scope,
        reason: document.getElementById("series-reason").value,
      });
      button.disabled = false;
      if (result.ok) {
        window.location.assign(window.location.pathname + "?cancelled=1");
        return;
      }
      SB.setStatus(status, SB.refusal(result, [], "That did not work."), "error");
    });
  });
})();
