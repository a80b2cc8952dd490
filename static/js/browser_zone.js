/* The browser's own time zone: fills the sign-up form's hidden field, and on the profile
   page offers to switch when the saved zone differs. The server checks the name against
   its zone list either way. */
(function () {
  "use strict";

  function browserZone() {
    try {
      return Intl.DateTimeFormat().resolvedOptions().timeZone || "";
    } catch (error) {
      return "";
    }
  }

  function ready(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }

  ready(function () {
    const zone = browserZone();
    if (!zone) return;
    document.querySelectorAll("input[data-browser-zone]").forEach(function (input) { input.value = zone; });

    const offer = document.getElementById("zone-suggestion");
    const field = document.getElementById("timezone");
    if (!offer || !field || offer.dataset.currentZone === zone) return;
    const known = Array.prototype.some.call(field.options || [], function (option) { return option.value === zone; });
    if (!known) return;
    offer.querySelector("[data-browser-zone-name]").textContent = zone.replace(/_/g, " ");
    const button = offer.querySelector("button");
    button.addEventListener("click", function () {
      field.value = zone;
      field.dispatchEvent(new Event("change", { bubbles: true }));
      const form = field.form;
      if (form && form.requestSubmit) form.requestSubmit(); else if (form) form.submit();
    });
    offer.hidden = false;
  });
})();
