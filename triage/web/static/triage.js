// Renews the claim while the document page is open, and the keyboard: j/k move through
// a list, n = next case, e = erledigen, c = Fallart korrigieren. No framework: the pages work without this script too.
(function () {
  const renew = document.getElementById("renew");
  if (renew) {
    const every = Math.max(30, Number(renew.dataset.seconds) / 2) * 1000;
    setInterval(async function () {
      const body = new URLSearchParams({ csrf_token: renew.dataset.csrf });
      const answer = await fetch(renew.dataset.url, { method: "POST", body: body });
      const until = document.getElementById("lease-until");
      if (answer.ok && until) {
        until.textContent = new Date(await answer.text()).toLocaleString("de-DE");
      }
    }, every);
  }
  document.addEventListener("keydown", function (event) {
    const typing = ["INPUT", "SELECT", "TEXTAREA"].includes(event.target.tagName);
    if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
    const rows = Array.from(document.querySelectorAll("[data-rows] .row-link"));
    if ((event.key === "j" || event.key === "k") && rows.length) {
      // j/k move through a list; Enter opens (a link's own behaviour).
      const at = rows.indexOf(document.activeElement);
      const next = event.key === "j" ? Math.min(at + 1, rows.length - 1) : Math.max(at - 1, 0);
      rows[at === -1 ? 0 : next].focus();
    } else if (event.key === "e" && document.getElementById("done")) {
      document.getElementById("done").requestSubmit();
    } else if (event.key === "n") {
      // The next case: claimed from the queue's page, or that page from a document.
      const next = document.getElementById("next-case");
      const queue = document.getElementById("queue-of-document");
      if (next) next.requestSubmit();
      else if (queue) window.location.href = "/warteschlangen/" + queue.dataset.queue;
    } else if (event.key === "c" && document.getElementById("case_type")) {
      event.preventDefault();
      document.getElementById("case_type").focus();
    }
  });
})();
