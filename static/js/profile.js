/* Profile page: save name, phone, time zone, preferences and notification settings through
   PUT /api/users/profile; the API's field errors are shown next to their fields. */
(function () {
  "use strict";

  function checkedValues(form, name, asNumber) {
    return Array.prototype.map.call(form.querySelectorAll('input[name="' + name + '"]:checked'), function (input) {
      return asNumber ? Number(input.value) : input.value;
    });
  }

  function payload(form) {
    const maxWait = form.querySelector("#max_wait_days").value.trim();
    return {
      first_name: form.querySelector("#first_name").value.trim(),
      last_name: form.querySelector("#last_name").value.trim(),
      phone: form.querySelector("#phone").value.trim(),
      timezone: form.querySelector("#timezone").value,
      profile: {
        preferred_weekdays: checkedValues(form, "preferred_weekdays", true),
        preferred_times_of_day: checkedValues(form, "preferred_times_of_day", false),
        avoided_weekdays: checkedValues(form, "avoided_weekdays", true),
        earliest_time: form.querySelector("#earliest_time").value,
        latest_time: form.querySelector("#latest_time").value,
        max_wait_days: maxWait === "" ? null : (/^\d+$/.test(maxWait) ? Number(maxWait) : maxWait),
        email_notifications: form.querySelector("#email_notifications").checked,
        reminders_enabled: form.querySelector("#reminders_enabled").checked,
        reminder_lead_minutes: checkedValues(form, "reminder_lead_minutes", true),
      },
    };
  }

  function providerWishes(form) {
    const wishes = { preferred_providers: [], avoided_providers: [] };
    form.querySelectorAll('select[name="provider_wish"]').forEach(function (select) {
      if (select.value === "prefer") wishes.preferred_providers.push(Number(select.dataset.provider));
      if (select.value === "avoid") wishes.avoided_providers.push(Number(select.dataset.provider));
    });
    return wishes;
  }

  /* The zone picker's search: hides the options (and regions) that do not match. */
  function zoneSearch(search, select) {
    const normal = function (text) { return text.toLowerCase().replace(/[_\s–-]+/g, " ").trim(); };
    search.addEventListener("input", function () {
      const query = normal(search.value);
      let first = null;
      Array.prototype.forEach.call(select.options, function (option) {
        const group = option.parentElement.tagName === "OPTGROUP" ? option.parentElement.label : "";
        const match = !query || normal(option.value + " " + option.textContent + " " + group).indexOf(query) !== -1;
        option.hidden = !match;
        if (match && !first) first = option;
      });
      select.querySelectorAll("optgroup").forEach(function (group) {
        group.hidden = !group.querySelector("option:not([hidden])");
      });
      // The first match is chosen, so typing "tokyo" and saving is enough.
      const chosen = select.options[select.selectedIndex];
      if (query && first && (!chosen || chosen.hidden)) select.value = first.value;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    const form = document.getElementById("profile-form");
    if (!form) return;
    const search = document.getElementById("timezone-search");
    if (search) zoneSearch(search, form.querySelector("#timezone"));
    const status = document.getElementById("profile-status");
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      SB.clearErrors(form);
      const button = document.getElementById("profile-save");
      button.disabled = true;
      SB.setStatus(status, "Saving…", "info");
      let result = await SB.request("PUT", "/api/users/profile", payload(form));
      if (result.ok && form.querySelector('select[name="provider_wish"]')) {
        // The provider wishes are their own resource, saved after the profile.
        const saved = await SB.request("PUT", "/api/users/profile/providers", providerWishes(form));
        if (!saved.ok) result = saved;
      }
      button.disabled = false;
      if (result.ok) {
        if (result.data && result.data.timezone && result.data.timezone !== form.dataset.timezone) {
          // Every time on the site is shown in this zone: reload so the whole page follows.
          window.location.assign("/profile?saved=1");
          return;
        }
        SB.setStatus(status, "Saved.", "ok");
        return;
      }
      const orphans = SB.showErrors(form, (result.data && result.data.errors) || {});
      SB.setStatus(status, "Your changes were not saved. " + SB.refusal(result, orphans, "Please check the highlighted fields."), "error");
    });
  });
})();
