// The case board keeps itself current. Every few seconds it asks the server for the list as it stands, with the
// same filters (GET of this page with "X-Board-Part: list"), swaps it in when it changed and says how many
// reports are new. The server escapes every text it renders, so the list is safe to insert as HTML. Without
// script (old office browsers) the page reloads itself every minute instead (<noscript> refresh).
(function () {
  'use strict';
  var list = document.getElementById('cases');
  var live = document.getElementById('live');
  if (!list || !live || !window.fetch || list.getAttribute('data-live') !== '1') return;
  var every = parseInt(list.getAttribute('data-every'), 10) || 20000;
  var last = null;

  function tickets(root) {
    var found = {};
    var rows = root.querySelectorAll('[data-ticket]');
    for (var i = 0; i < rows.length; i++) found[rows[i].getAttribute('data-ticket')] = true;
    return found;
  }

  var seen = tickets(list);

  function poll() {
    if (document.hidden) return;  // a background tab asks nothing; it catches up when looked at
    fetch(location.href, {headers: {'X-Board-Part': 'list'}, credentials: 'same-origin', cache: 'no-store'})
      .then(function (resp) {
        if (resp.redirected || !resp.ok) throw new Error('board ' + resp.status);  // logged out: keep the page
        return resp.text();
      })
      .then(function (html) {
        if (html === last) return;
        last = html;
        var box = document.createElement('div');
        box.innerHTML = html;
        var now = tickets(box);
        var fresh = 0;
        for (var ticket in now) if (!seen[ticket]) { fresh++; seen[ticket] = true; }
        list.innerHTML = html;
        if (fresh) {
          live.textContent = live.getAttribute('data-label').replace('{count}', String(fresh));
          live.hidden = false;
        }
      })
      .catch(function () { /* the office LAN blinked: the next poll tries again */ });
  }

  setInterval(poll, every);
  document.addEventListener('visibilitychange', function () { if (!document.hidden) poll(); });
})();
