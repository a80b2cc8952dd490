/* Staff dashboard charts (admin index). Data comes from the page's json_script element. */
(function () {
  "use strict";
  const element = document.getElementById("analytics-data");
  if (!element || typeof Chart === "undefined") {
    return;
  }
  const data = JSON.parse(element.textContent);
  const blue = "rgb(33, 111, 160)";
  const red = "rgb(186, 33, 33)";
  const grey = "rgb(120, 120, 120)";

  function movingAverage(values, width) {
    return values.map(function (_, index) {
      const window = values.slice(Math.max(0, index - width + 1), index + 1);
      return window.reduce(function (a, b) { return a + b; }, 0) / window.length;
    });
  }

  function draw(id, config) {
    const canvas = document.getElementById(id);
    if (canvas) {
      new Chart(canvas, config);
    }
  }

  const days = data.bookings_per_day;
  const bookings = days.map(function (row) { return row.bookings; });
  draw("chart-bookings-per-day", {
    type: "line",
    data: {
      labels: days.map(function (row) { return row.date; }),
      datasets: [
        { label: "Bookings", data: bookings, borderColor: blue, backgroundColor: blue, tension: 0.2 },
        { label: "Cancellations", data: days.map(function (row) { return row.cancellations; }),
          borderColor: red, backgroundColor: red, tension: 0.2 },
        { label: "Trend (7-day mean)", data: movingAverage(bookings, 7), borderColor: grey,
          borderDash: [4, 4], pointRadius: 0 },
      ],
    },
    options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });

  draw("chart-forecast", {
    type: "line",
    data: {
      labels: data.forecast.map(function (row) { return row.date; }),
      datasets: [{
        label: "Forecast (not actual bookings)",
        data: data.forecast.map(function (row) { return row.bookings; }),
        borderColor: blue, borderDash: [6, 4], backgroundColor: "rgba(33, 111, 160, 0.15)",
        fill: true, tension: 0.2,
      }],
    },
    options: { scales: { y: { beginAtZero: true } } },
  });

  draw("chart-utilisation", {
    type: "bar",
    data: {
      labels: data.utilisation.map(function (row) { return row.provider; }),
      datasets: [{
        label: "Utilisation (%)",
        data: data.utilisation.map(function (row) {
          return row.utilisation === null ? null : Math.round(row.utilisation * 1000) / 10;
        }),
        backgroundColor: blue,
      }],
    },
    options: { indexAxis: "y", scales: { x: { beginAtZero: true, suggestedMax: 100 } } },
  });

  draw("chart-services", {
    type: "bar",
    data: {
      labels: data.services.map(function (row) { return row.service; }),
      datasets: [
        { label: "Bookings", data: data.services.map(function (row) { return row.bookings; }),
          backgroundColor: blue },
        { label: "Cancelled", data: data.services.map(function (row) { return row.cancellations; }),
          backgroundColor: red },
      ],
    },
    options: { scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
})();
