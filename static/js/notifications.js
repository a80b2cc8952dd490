/* Notifications inbox: mark one or all as read through the API. */
(function () {
  "use strict";

  function markedRead(item) {
    item.classList.remove("sb-unread");
    item.dataset.read = "1";
    const badge = item.querySelector(".sb-badge");
    if (badge) badge.remove();
    const button = item.querySelector(".mark-read");
    if (button) button.remove();
  }

  function refreshCount() {
    const unread = document.querySelectorAll('[data-notification-id][data-read="0"]').length;
    const summary = document.getElementById("unread-summary");
    if (summary) summary.textContent = unread + " unread";
    document.querySelectorAll("[data-unread-count]").forEach(function (el) {
      el.textContent = unread ? String(unread) : "";
      el.hidden = unread === 0;
    });
    const all = document.getElementById("mark-all-read");
    if (all && unread === 0) all.hidden = true;
  }

  document.addEventListener("DOMContentLoaded", function () {
    const status = document.getElementById("notifications-status");
    document.querySelectorAll("button.mark-read").forEach(function (button) {
      button.addEventListener("click", async function () {
        const id = button.dataset.notificationId;
        button.disabled = true;
        const result = await SB.request("POST", "/api/notifications/" + id + "/read", {});
        if (result.ok) {
          markedRead(button.closest("li"));
          refreshCount();
        } else {
          button.disabled = false;
          SB.setStatus(status, (result.data && result.data.detail) || "Could not mark it as read.", "error");
        }
      });
    });
    const all = document.getElementById("mark-all-read");
    if (all) {
      all.addEventListener("click", async function () {
        all.disabled = true;
        const result = await SB.request("POST", "/api/notifications/read-all", {});
        all.disabled = false;
        if (result.ok) {
          document.querySelectorAll('li[data-notification-id][data-read="0"]').forEach(markedRead);
          refreshCount();
        } else {
          SB.setStatus(status, (result.data && result.data.detail) || "Could not mark them as read.", "error");
        }
      });
    }
  });
})();
