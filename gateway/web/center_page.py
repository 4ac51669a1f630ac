# ruff: noqa: E501  (HTML and CSS lines read better whole than wrapped)
"""The HTML of the centre's workspace: server-rendered (old office browsers, a strict CSP), readable at 390 px wide;
every label from the catalogs in the centre's language. The one script, the board's static/board.js, only keeps
the list current; everything works without it."""

from __future__ import annotations

PAGE = """<!doctype html>
<html lang="{{ lang }}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>NTS-MWCC · {{ t('ws_board') }}</title>{% if refresh_s %}<noscript><meta http-equiv="refresh" content="{{ refresh_s }}"></noscript>{% endif %}
{% if script %}<script src="/static/{{ script }}" defer></script>{% endif %}
<style>
body{font-family:system-ui,"Noto Sans Thai","Noto Sans Lao","Noto Sans Khmer",sans-serif;margin:.8rem;max-width:64rem}
header{display:flex;gap:.8rem;align-items:center;flex-wrap:wrap}header form{margin:0}
article{border:1px solid #ccc;border-radius:6px;padding:.5rem .7rem;margin:.5rem 0}
.alert{white-space:pre-wrap}.meta{color:#555;font-size:.85rem}.flag{color:#a40}button,select,input,textarea{font:inherit}textarea{max-width:100%;box-sizing:border-box}select{max-width:16em}
.st{color:#fff;border-radius:4px;padding:0 .35rem;font-size:.85rem}.urgent{border-left:5px solid #c62828}
form.filters{display:flex;flex-wrap:wrap;gap:.4rem;align-items:end}form.filters label{display:flex;flex-direction:column;font-size:.85rem}
.q,.a{border-left:4px solid #1565c0;padding:.2rem .6rem;margin:.4rem 0}.a{border-color:#2e7d32;background:#f3f9f4}.said{white-space:pre-wrap}
.done{background:#e7f5e9;padding:.4rem .6rem;border-left:4px solid #2e7d32}table{border-collapse:collapse}td,th{padding:.2rem .5rem;text-align:left}
</style></head><body>
<header><strong>{{ who }}</strong> <a href="/center">{{ t('ws_board') }}</a>
<a href="/center/dashboard">{{ t('ws_dashboard') }}</a> <a href="/center/members">{{ t('ws_members') }}</a> <a href="/center/walk-in">{{ t('ws_walk_in') }}</a> <a href="/center/sessions">{{ t('ws_sessions') }}</a>
<form method="post" action="/logout"><input type="hidden" name="csrf_token" value="{{ csrf }}">
<button>{{ t('ws_logout') }}</button></form></header>
{{ body|safe }}
</body></html>"""

BOARD = """<form class="filters" method="get" action="/center">
<label>{{ t('ws_centre') }}<select name="center"><option value="">{{ t('ws_all_centres') }}</option>
{% for c in centers %}<option value="{{ c.id }}" {{ 'selected' if c.id == f.center else '' }}>{{ c.name }}</option>{% endfor %}</select></label>
<label>{{ t('ws_status') }}<select name="status"><option value="">{{ t('ws_any') }}</option>
{% for s in statuses %}<option value="{{ s }}" {{ 'selected' if f.status == s else '' }}>{{ t('ws_status_' + s) }}</option>{% endfor %}</select></label>
<label>{{ t('ws_category') }}<select name="category"><option value="">{{ t('ws_any') }}</option>
{% for c in categories %}<option value="{{ c }}" {{ 'selected' if f.category == c else '' }}>{{ t('cat_' + c) }}</option>{% endfor %}</select></label>
<label>{{ t('ws_channel') }}<select name="channel"><option value="">{{ t('ws_any') }}</option>
{% for c, label in channels %}<option value="{{ c }}" {{ 'selected' if f.channel == c else '' }}>{{ label }}</option>{% endfor %}</select></label>
<label>{{ t('ws_language') }}<select name="language"><option value="">{{ t('ws_any') }}</option>
{% for l, name in [("th","ไทย"),("lo","ລາວ"),("km","ខ្មែរ"),("en","English")] %}<option value="{{ l }}" {{ 'selected' if f.language == l else '' }}>{{ name }}</option>{% endfor %}</select></label>
<label>{{ t('ws_flag') }}<select name="flag"><option value="">{{ t('ws_any') }}</option>
{% for fl, label in flags %}<option value="{{ fl }}" {{ 'selected' if f.flag == fl else '' }}>{{ label }}</option>{% endfor %}</select></label>
{% if districts|length > 1 %}<label>{{ t('ws_district') }}<select name="district"><option value="">{{ t('ws_any') }}</option>
{% for code, name in districts %}<option value="{{ code }}" {{ 'selected' if f.district == code else '' }}>{{ name }}</option>{% endfor %}</select></label>{% endif %}
<label>{{ t('ws_tambon') }}<input type="text" name="tambon" value="{{ tambon }}" size="12" list="tambons" autocomplete="off"></label>
<datalist id="tambons">{% for name in tambons %}<option value="{{ name }}">{% endfor %}</datalist>
<label>{{ t('ws_from') }}<input type="date" name="from" value="{{ day_from }}"></label>
<label>{{ t('ws_to') }}<input type="date" name="to" value="{{ day_to }}"></label>
<label>{{ t('ws_search') }}<input type="search" name="q" value="{{ f.q or '' }}"></label>
<button type="submit">{{ t('ws_filter') }}</button> <a href="/center">{{ t('ws_clear') }}</a></form>
{% if notice %}<p class="flag" role="alert">{{ notice }}</p>{% endif %}
<p id="live" class="done" role="status" aria-live="polite" hidden data-label="{{ t('ws_new_reports', count='{count}') }}"></p>
<div id="cases" data-live="{{ 1 if live else 0 }}" data-every="{{ live_every }}">{{ listing|safe }}</div>"""

# The list part of the board: also what the board's script fetches to stay current (X-Board-Part: list).
BOARD_LIST = """<p class="meta">{% if total %}{{ t('ws_count', first=f.offset + 1, last=f.offset + rows|length, total=total) }}{% else %}{{ t('ws_none') }}{% endif %}
· {{ t('ws_export') }}: <a href="/center/export.csv?{{ qs }}">CSV</a> <a href="/center/export.geojson?{{ qs }}">GeoJSON</a></p>
{% for r in rows %}
<article class="{{ 'urgent' if r.urgent else '' }}" data-ticket="{{ r.ticket }}"><div class="meta"><a href="/center/reports/{{ r.ticket }}">{{ r.ticket }}</a>
· <span class="st" style="background:{{ r.colour }}">{{ r.status }}</span> · {{ r.category }}{% if r.urgent %} · <strong>{{ t('ws_urgent') }}</strong>{% endif %}
· {{ r.district }} · {{ r.when }} · {{ r.reported }} · {{ r.channel }}{% if r.flag %} · <span class="flag">{{ r.flag }}</span>{% endif %}</div>
<div>{{ r.details }}</div></article>
{% endfor %}
<p>{% if prev_qs is not none %}<a href="/center?{{ prev_qs }}">{{ t('ws_prev') }}</a>{% endif %}
{% if next_qs is not none %} <a href="/center?{{ next_qs }}">{{ t('ws_next') }}</a>{% endif %}</p>"""

REPORT = """<p><a href="/center">← {{ t('ws_back') }}</a></p>
{% if done %}<p class="done" role="status">{{ done }}</p>{% endif %}
{% if notice %}<p class="flag" role="alert">{{ notice }}</p>{% endif %}
<article><div class="meta">{{ r.ticket }} · <span class="st" style="background:{{ colour }}">{{ status }}</span> · {{ r.center_id }}</div>
<div class="alert">{{ text }}</div>
{% if place_map %}<div style="max-width:20rem">{{ place_map|safe }}</div>{% endif %}
{% for i, m in media %}{% if m.kind == 'photo' %}<a href="/center/reports/{{ r.ticket }}/media/{{ i }}"><img src="/center/reports/{{ r.ticket }}/media/{{ i }}" alt="{{ t('ws_media') }}" style="max-width:12rem;margin:.3rem"></a>
{% else %}<audio controls src="/center/reports/{{ r.ticket }}/media/{{ i }}"></audio>{% endif %}{% endfor %}
{% if linked %}<p class="meta">{{ t('ws_linked') }}: {% for l in linked %}<a href="/center/reports/{{ l }}">{{ l }}</a> {% endfor %}</p>{% endif %}
</article>
{% if can_act and r.status != 'closed' %}<h2>{{ t('ws_actions') }}</h2>
<form method="post" action="/center/reports/{{ r.ticket }}/actions"><input type="hidden" name="csrf_token" value="{{ csrf }}">
{% if r.status == 'new' %}<button name="action" value="ack">{{ t('act_ack') }}</button>{% endif %}
<label>{{ t('ws_assign') }} <select name="agency">{% for a in agencies %}<option value="{{ a }}">{{ t('act_' + a) }}</option>{% endfor %}</select></label>
<button name="action" value="assign">{{ t('ws_assign') }}</button>
<label>{{ t('ws_close') }} <select name="reason">{% for c in reasons %}<option value="{{ c }}">{{ t('act_' + c) }}</option>{% endfor %}</select></label>
<button name="action" value="close">{{ t('ws_close') }}</button></form>
<form method="post" action="/center/reports/{{ r.ticket }}/actions"><input type="hidden" name="csrf_token" value="{{ csrf }}">
<label>{{ t('act_ask') }}<br><textarea name="question" rows="2" cols="50" maxlength="300"></textarea></label><br>
<button name="action" value="ask">{{ t('ws_ask_send') }}</button></form>{% endif %}
<h2>{{ t('ws_questions') }}</h2>
{% for at, kind, who, said in messages %}<div class="{{ 'q' if kind == 'question' else 'a' }}"><div class="meta">{{ local(at) }} · {{ t('ws_question') if kind == 'question' else t('ws_answer') }} · {{ who }}</div>
<div class="said">{{ said }}</div></div>
{% else %}<p class="meta">{{ t('ws_no_questions') }}</p>{% endfor %}
{% if waiting %}<p class="meta">{{ t('ws_waiting_answer') }}</p>{% endif %}
<h2>{{ t('ws_timeline') }}</h2>
<ul>{% for at, what, who in events %}<li>{{ local(at) }} · {{ what }} · {{ who }}</li>
{% endfor %}</ul>
<h2>{{ t('ws_deliveries') }}</h2>
<table>{% for kind, state, attempts, sent in deliveries %}<tr><td>{{ kind }}</td><td>{{ state }}</td><td>{{ attempts }}</td><td>{{ sent }}</td></tr>{% endfor %}</table>"""

WALK_IN = """<h1>{{ t('ws_walk_in') }}</h1>
{% if done %}<p class="done" role="status">{{ done }}</p>{% endif %}
{% for e in errors %}<p class="flag" role="alert">{{ e }}</p>{% endfor %}
<form method="post" action="/center/walk-in"><input type="hidden" name="csrf_token" value="{{ csrf }}">
<p><label>{{ t('ws_how') }} <select name="how"><option value="in_person">{{ t('ws_in_person') }}</option>
<option value="phone">{{ t('ws_by_phone') }}</option></select></label></p>
<p><label>{{ t('ws_category') }} <select name="category"><option value=""></option>
{% for c in categories %}<option value="{{ c }}">{{ t('cat_' + c) }}</option>{% endfor %}</select></label></p>
<p><label>{{ t('ws_place') }} <input type="text" name="place" size="40" value="{{ form.get('place', '') }}"></label></p>
<p><label>{{ t('web_when') }} <select name="when">{% for w in whens %}<option value="{{ w }}">{{ t('when_' + w) }}</option>{% endfor %}</select></label></p>
<p><label>{{ t('ws_details') }}<br><textarea name="details" rows="4" cols="60" maxlength="4000">{{ form.get('details', '') }}</textarea></label></p>
<p><label>{{ t('ws_contact') }} <input type="tel" name="contact" autocomplete="off"></label></p>
<button type="submit">{{ t('ws_record') }}</button></form>"""

DASHBOARD = """<h1>{{ t('ws_dashboard') }}</h1>
<table><tr><th></th><th>{{ t('ws_status_new') }} (24 h)</th><th>{{ t('ws_open') }}</th><th>{{ t('ws_overdue') }}</th><th>{{ t('ws_status_closed') }} (24 h)</th></tr>
{% for name, d in boards %}<tr><td>{{ name }}</td><td>{{ d.new }}</td><td>{{ d.open }}</td><td>{{ d.overdue }}</td><td>{{ d.closed }}</td></tr>{% endfor %}</table>
<h2>{{ t('ws_map') }}</h2>
<div style="max-width:40rem">{{ svg|safe }}</div>
<h2>{{ t('ws_weekly') }}</h2>
<table>{% for w, d, c, n in counts %}<tr><td>{{ w }}</td><td>{{ d }}</td><td>{{ c }}</td><td>{{ n }}</td>
<td><span style="display:inline-block;height:.8em;background:#1565c0;width:{{ (n / top * 12)|round(1) }}em"></span></td></tr>
{% else %}<tr><td>{{ t('ws_none') }}</td></tr>{% endfor %}</table>
"""

MEMBERS = """<h1>{{ t('ws_members') }} · {{ center.name }}</h1>
{% if notice %}<p class="done" role="status">{{ notice }}</p>{% endif %}
<table><tr><th>{{ t('ws_name') }}</th><th>{{ t('ws_role') }}</th><th>{{ t('ws_reached') }}</th></tr>
{% for name, role, reached in people %}<tr><td>{{ name }}</td><td>{{ role }}</td><td>{{ reached }}</td></tr>{% endfor %}</table>
<h2>{{ t('ws_invites') }}</h2>
<table>{% for i in invites %}<tr><td>{{ i.name }}</td><td>{{ t('role_' + i.role) }}</td><td>{{ i.expires_at.strftime('%Y-%m-%d') }}</td>
<td><form method="post" action="/center/members/invites/{{ i.id }}/revoke"><input type="hidden" name="csrf_token" value="{{ csrf }}">
<input type="hidden" name="center" value="{{ center.id }}"><button>{{ t('ws_revoke') }}</button></form></td></tr>{% endfor %}</table>
<form method="post" action="/center/members/invites"><input type="hidden" name="csrf_token" value="{{ csrf }}"><input type="hidden" name="center" value="{{ center.id }}">
<label>{{ t('ws_name') }} <input type="text" name="name" required maxlength="80"></label>
<label>{{ t('ws_role') }} <select name="role">{% for r in roles %}<option value="{{ r }}">{{ t('role_' + r) }}</option>{% endfor %}</select></label>
<label>{{ t('ws_days') }} <input type="number" name="days" value="7" min="1" max="30"></label>
<button>{{ t('ws_invite_create') }}</button></form>
<h2>{{ t('ws_broadcasts') }}</h2>
<form method="post" action="/center/members/broadcasts"><input type="hidden" name="csrf_token" value="{{ csrf }}"><input type="hidden" name="center" value="{{ center.id }}">
<p><label>{{ t('ws_template') }} <select name="template"><option value="">{{ t('ws_own_text') }}</option>
{% for name in templates %}<option value="{{ name }}">{{ name }}</option>{% endfor %}</select></label>
<label>{{ t('ws_date') }} <input type="date" name="date"></label> <label>{{ t('ws_place') }} <input type="text" name="place"></label></p>
<p><label>{{ t('ws_text') }}<br><textarea name="text" rows="3" cols="60"></textarea></label></p>
<p><label>{{ t('ws_audience') }} <select name="audience">{% for a in audiences %}<option value="{{ a }}">{{ t('ws_audience_' + a) }}</option>{% endfor %}</select></label>
<button>{{ t('ws_broadcast_send') }}</button></p></form>
<table>{% for b, counts in sent %}<tr><td>{{ b.id }}</td><td>{{ b.created_at.strftime('%Y-%m-%d %H:%M') }}</td><td>{{ t('ws_audience_' + b.audience) }}</td>
<td>{% for k, v in counts.items() %}{{ k }} {{ v }} {% endfor %}</td></tr>{% endfor %}</table>
"""
