"""Every text a reporter or an officer reads, by key, in English source form.

`pybabel extract -k N_` (the Makefile's `messages` target) turns the marked strings into
`i18n/messages.pot`; the th, lo, km and en catalogs under `i18n/locales/` translate them.
Reporter-facing texts must fit two SMS parts (134 UTF-16 units in UCS-2): `ntswatch flows check`
measures every one in every language.
"""

from __future__ import annotations


def N_(text: str) -> str:
    """Mark `text` for extraction without translating it here."""
    return text


# Texts sent to reporters by SMS, USSD or chat.
REPORTER: dict[str, str] = {
    "ask_category": N_(
        "NTS-Mekong Watch: what to report? Reply 1 Trafficking 2 Drugs 3 Illegal crossing 4 Smuggling 5 Other"
    ),
    "ask_place": N_("Where? Send the village, tambon or district name."),
    "ask_when": N_("When? Reply 1 Happening now 2 Earlier today 3 Before today"),
    "ask_details": N_("What did you see? Tell us briefly: how many people, vehicles, boats, time."),
    "confirm": N_("{category} at {place}, {when}: {details} Reply 1 send, 0 change, 9 cancel"),
    "not_understood": N_("Sorry, we did not understand."),
    "help": N_("To report send: REPORT <what> <where> <what you saw>. CANCEL starts again, STOP ends our messages."),
    "place_not_found": N_("We could not find that place. Try the district or tambon name, e.g. Tha Uthen."),
    "report_received": N_(
        "Thank you. Report received, ticket {ticket}. Send STATUS {ticket} to follow it. Your name stays secret."
    ),
    "cancelled": N_("Report cancelled. Send REPORT to start again."),
    "restarted": N_("Your last report was not finished in time, so we start again."),
    "status_reply": N_("Ticket {ticket}: {status}"),
    "status_unknown": N_("No report with ticket {ticket}. Please check the number."),
    "status_not_here": N_("No report {ticket} was sent from this phone or chat."),
    "status_ask_ticket": N_("Send STATUS and your ticket number, e.g. STATUS 100017."),
    "stopped": N_("OK, we will send you nothing more. Send REPORT to report again."),
    "forgotten": N_("Your number and conversation were deleted. Your reports stay, without your name."),
    "language_set": N_("OK, we will write to you in English."),
    "unsupported_script": N_("We read Thai, Lao, Khmer and English. Send REPORT to start."),
    "rate_limited": N_("You sent many messages. Please wait 10 minutes, then send again."),
    "relay_sent": N_("Thank you. Your answer was passed to the centre."),
    # While Redis is down the message waits in the gateway's spool; the real answer follows.
    "received_later": N_("Message received. We will reply soon."),
    "busy_later": N_("Service busy. Please try again in a few minutes."),
    # Awareness news from the district centre (centres/broadcasts.py): NEWS <district> subscribes, STOP ends it.
    "news_subscribed": N_("You will get news from the {district} district centre. Send STOP to stop."),
    "news_ask_place": N_("Send NEWS and your district, e.g. NEWS Tha Uthen."),
}

# Texts pushed to a reporter outside a conversation (SMS or chat, never a USSD screen): same two-part budget.
PUSHED: dict[str, str] = {
    # Proactive updates when the centre acts (not sent to a reporter who sent STOP).
    "update_acknowledged": N_(
        "Ticket {ticket}: the district centre has seen your report. Thank you. Send STOP for no more messages."
    ),
    "update_assigned": N_("Ticket {ticket}: an officer is now working on your report."),
    "update_closed": N_("Ticket {ticket}: your report is closed. Thank you for helping."),
    # When the first of the centre's own alerts went out (the national desk when the place was not found).
    "update_received": N_(
        "Ticket {ticket}: the {district} district centre has received your report. Send STOP for no more messages."
    ),
    "update_received_national": N_(
        "Ticket {ticket}: the national centre has received your report and will pass it to the right district."
    ),
    # Broadcast templates (`ntswatch centers broadcast --template`), each followed by bc_footer for villagers.
    "bc_fake_jobs": N_(
        "Warning from the {district} district centre: jobs across the border with high pay and free travel are "
        "often trafficking traps. Ask us before you go."
    ),
    "bc_training": N_(
        "{district} district centre: training for village reporters on {date} at {place}. Everyone welcome."
    ),
    "bc_footer": N_("Reply STOP to stop."),
    # The anonymous relay: the question is cut to what this frame leaves (centres/relay.py).
    "relay_question": N_("The centre asks about report {ticket}: {question} Just reply here; your name stays secret."),
}

# Words that fill the reporter texts above.
WORDS: dict[str, str] = {
    "cat_trafficking": N_("Human trafficking"),
    "cat_drugs": N_("Drugs"),
    "cat_migration": N_("Illegal crossing"),
    "cat_smuggling": N_("Smuggling"),
    "cat_other": N_("Other"),
    "when_now": N_("happening now"),
    "when_today": N_("earlier today"),
    "when_earlier": N_("before today"),
    "status_received": N_("received, on its way to the centre"),
    "status_new": N_("with the district centre"),
    "status_acknowledged": N_("the centre has seen it"),
    "status_assigned": N_("an officer is on it"),
    "status_closed": N_("closed"),
}

# Menu titles and buttons: USSD screens, Telegram keyboards, LINE quick replies (short by design).
MENU: dict[str, str] = {
    "title_category": N_("What to report?"),
    "title_when": N_("When did it happen?"),
    "title_confirm": N_("{category}, {place}. Send it?"),
    "opt_send": N_("Send"),
    "opt_change": N_("Change"),
    "opt_cancel": N_("Cancel"),
    "menu_more": N_("More"),
    "menu_previous": N_("Back"),
    "resume_question": N_("You have an unfinished report."),
    "resume_continue": N_("Continue"),
    "resume_restart": N_("Start again"),
    "share_location": N_("Send my location"),
    "ussd_received": N_("Received. Ticket {ticket}. Thank you, your name stays secret."),
}

# Texts read by the district working group in alerts and the inbox.
ALERT: dict[str, str] = {
    "alert_title": N_("New report {ticket}"),
    "alert_place": N_("Place"),
    "alert_when": N_("When"),
    "alert_received": N_("Received"),
    "alert_details": N_("Details"),
    "alert_reporter": N_("Reporter"),
    "alert_channel": N_("Channel"),
    "alert_unresolved": N_("Place not found in the gazetteer, please check"),
    "alert_outside": N_("The place is outside the border districts this gateway covers, please check"),
    "alert_ambiguous": N_("Several places have this name, please check"),
    "alert_guessed": N_("The place name was misspelt and guessed, please check"),
    "channel_offline": N_("collected offline"),
    "channel_web": N_("web form"),
    "channel_walk_in": N_("at the office / by phone"),
    "alert_escalated": N_("NOT ACKNOWLEDGED after {minutes} min!"),
    "alert_partner_title": N_("Report {ticket} shared by a Thai border centre"),
    "alert_linked": N_("{count} reports of this here within {hours} h (first: {ticket})"),
    "digest": N_("Daily summary {date}: {new} new · {open} open · {overdue} overdue · {closed} closed"),
}

# Buttons under an alert and what the group sees after someone acted (the centre's language).
ACTIONS: dict[str, str] = {
    "act_ack": N_("Acknowledge"),
    "act_police": N_("Police"),
    "act_immigration": N_("Immigration"),
    "act_customs": N_("Customs"),
    "act_other": N_("Other agency"),
    "act_resolved": N_("Close: resolved"),
    "act_false_alarm": N_("Close: false alarm"),
    "act_duplicate": N_("Close: duplicate"),
    "act_done": N_("{name} ({role}): {action}, {time}"),
    "act_not_member": N_("Only members of this centre can act on its alerts."),
    "act_not_allowed": N_("This case is already closed."),
    "act_received": N_("Done."),
    # Where an action was taken, when not from the chat alert itself (centres/actions.py).
    "via_sms": N_("by SMS"),
    "via_web": N_("on the web"),
    # Joining a centre with an invite code (centres/members.py).
    "join_ok": N_("Welcome {name}: you are now {role} at {center}. The buttons under its alerts work for you."),
    "join_failed": N_(
        "This code cannot be used (wrong, expired or already used). Ask the head or secretary for a new one."
    ),
    "invite_refused": N_("Only a centre's head or secretary can make invite codes."),
    "invite_made": N_("Invite for {name} ({role}): {code}, valid 7 days, once. They send JOIN {code} to this bot."),
    "invite_bad_role": N_(
        "Roles: head, secretary, coordinator, immigration, police, customs, other. Send /invite ROLE NAME."
    ),
    "role_head": N_("head"),
    "role_secretary": N_("secretary"),
    "role_coordinator": N_("coordinator"),
    "role_immigration": N_("immigration officer"),
    "role_police": N_("police officer"),
    "role_customs": N_("customs officer"),
    "role_other": N_("member from another agency"),
    "act_asked": N_("Question sent to the reporter of {ticket}."),
    "act_no_contact": N_("The reporter of {ticket} cannot be reached: no contact is kept."),
    "relay_answer": N_("💬 Answer from the reporter of {ticket}: {answer}"),
    # "Ask the reporter" from the alert (centres/relay.py); the placeholder is ≤ 64 characters (ForceReply).
    "act_ask": N_("Ask the reporter"),
    "ask_placeholder": N_("Type your question for the reporter"),
    "ask_prompt": N_(
        "{name}: your next message here (reply to this one) goes to the reporter of {ticket} as a question, "
        "within 10 minutes. No name or number is shown either way."
    ),
    # Logging in to the workspace through the bot (centres/logins.py) and officers' PINs (centres/pins.py).
    "login_link": N_("Your login link (valid 10 minutes, works once): {url}"),
    "login_refused": N_("Only members of a district centre can log in."),
    "pin_set": N_("PIN saved. Write it after the ticket in SMS commands, e.g. OK 1234567 PIN. Delete your message."),
    "pin_bad": N_("A PIN is 4 to 6 digits and not a run like 1234. Send /pin and your PIN."),
    "pin_no_phone": N_("No phone number is listed for you at the centre. Ask the head or secretary."),
    "officer_refused": N_("Not accepted. Check the ticket number and your PIN. No PIN yet? Ask the head or secretary."),
    # Broadcasts by the head or secretary (centres/broadcasts.py).
    "bc_queued": N_("Broadcast {id} queued for {count} people ({members} members, {subscribers} villagers)."),
    "bc_refused": N_("Only a centre's head or secretary can send broadcasts."),
    "bc_too_long": N_("Too long for two SMS ({units} of {limit}). Please shorten it."),
    "bc_usage": N_("Send /broadcast and the message, e.g. /broadcast Training on 5 Dec at the district office."),
}

# The public report page and status page (gateway/web/public.py): read in a browser, not by SMS.
WEB: dict[str, str] = {
    "web_title": N_("Report to NTS-Mekong Watch"),
    "web_intro": N_("Your name and phone number are not asked. The report goes to the district centre."),
    "web_category": N_("What did you see?"),
    "web_place": N_("Where?"),
    "web_place_hint": N_("Village, tambon or district, in any language"),
    "web_use_location": N_("Use my location"),
    "web_location_set": N_("Location added."),
    "web_when": N_("When?"),
    "web_details": N_("What happened? How many people, vehicles or boats?"),
    "web_photo": N_("Photo (if you have one)"),
    "web_send": N_("Send report"),
    "web_received": N_("Report received. Ticket {ticket}, follow-up code {code}."),
    "web_keep_code": N_("Write down both to check your report. The ticket alone shows nothing to anyone."),
    "web_status_title": N_("Check a report"),
    "web_ticket": N_("Ticket"),
    "web_code": N_("Follow-up code"),
    "web_check": N_("Check"),
    "web_status_wrong": N_("No report with this ticket and code."),
    "web_missing": N_("Please choose what you saw and write where."),
    "web_place_unknown": N_("We could not find this place. Check the name, or send it as it is."),
    "web_send_anyway": N_("Send as it is"),
    "web_too_many": N_("Too many reports from this connection. Please try again later."),
    "web_bad_photo": N_("The photo was not accepted: a JPEG, PNG or WebP picture up to 5 MB."),
    "web_expired": N_("The page was open too long. Please send the report again."),
    "web_offline_kept": N_("No connection. The report is kept on this phone and will be sent by itself."),
    "web_waiting": N_("Waiting to send: {count}"),
    "web_sent_from_outbox": N_("Sent. Ticket {ticket}, follow-up code {code}."),
    "web_clear_all": N_("Clear everything on this phone"),
    "web_cleared": N_("Everything was removed from this phone."),
    "web_privacy": N_("Once sent, nothing of the report stays on this phone."),
    "web_new_report": N_("Make another report"),
    "web_leader_mode": N_(
        "Community leader mode: reports you take down are sent in your name, the villager stays anonymous."
    ),
    "web_leader_ticket": N_("Sent. Ticket {ticket}: give it to the villager."),
}

# The centre's workspace in the browser (gateway/web/center.py): read by members, in their centre's language.
WORKSPACE: dict[str, str] = {
    "ws_board": N_("Case board"),
    "ws_all_centres": N_("All my centres"),
    "ws_centre": N_("Centre"),
    "ws_status": N_("Status"),
    "ws_category": N_("Category"),
    "ws_district": N_("District"),
    "ws_channel": N_("Came by"),
    "ws_language": N_("Language"),
    "ws_from": N_("From"),
    "ws_to": N_("To"),
    "ws_search": N_("Search details, place or ticket"),
    "ws_filter": N_("Show"),
    "ws_clear": N_("Clear filters"),
    "ws_count": N_("{first}–{last} of {total}"),
    "ws_none": N_("No reports match."),
    "ws_prev": N_("Previous"),
    "ws_next": N_("Next"),
    "ws_export": N_("Export"),
    "ws_urgent": N_("Urgent"),
    "ws_any": N_("Any"),
    "ws_status_new": N_("New"),
    "ws_status_acknowledged": N_("Acknowledged"),
    "ws_status_assigned": N_("Assigned"),
    "ws_status_closed": N_("Closed"),
    "ws_timeline": N_("Timeline"),
    "ws_deliveries": N_("Alerts sent"),
    "ws_actions": N_("Act on this case"),
    "ws_assign": N_("Assign to"),
    "ws_close": N_("Close as"),
    "ws_ask_send": N_("Send the question"),
    "ws_done": N_("Done: {action}."),
    "ws_back": N_("Back to the case board"),
    "ws_reported": N_("Reported"),
    "ws_place": N_("Place"),
    "ws_media": N_("Photos and voice notes"),
    "ws_not_allowed": N_("Only members of this centre can act on its cases."),
    "ws_sessions": N_("Sessions"),
    "ws_logout": N_("Log out"),
    "ws_details": N_("Details"),
    "ws_walk_in": N_("Walk-in or phone report"),
    "ws_how": N_("How it came"),
    "ws_in_person": N_("In person at the office"),
    "ws_by_phone": N_("By telephone"),
    "ws_contact": N_("Reporter's phone (optional, kept encrypted)"),
    "ws_record": N_("Record the report"),
    "ws_recorded": N_("Recorded: ticket {ticket}."),
    "ws_missing": N_("Choose the category and write the place."),
    "ws_dashboard": N_("Dashboard"),
    "ws_open": N_("Open"),
    "ws_overdue": N_("Overdue"),
    "ws_map": N_("Reports of the last 30 days"),
    "ws_weekly": N_("Reports by week, district and category"),
    "ws_members": N_("Members"),
    "ws_role": N_("Role"),
    "ws_name": N_("Name"),
    "ws_reached": N_("Reached by"),
    "ws_invites": N_("Open invites"),
    "ws_invite_create": N_("Create an invite"),
    "ws_invite_code": N_("Invite for {name}: {code}. They send JOIN {code} to the bot within {days} days."),
    "ws_revoke": N_("Revoke"),
    "ws_days": N_("Valid days"),
    "ws_broadcasts": N_("Broadcasts"),
    "ws_broadcast_send": N_("Send the broadcast"),
    "ws_template": N_("Template"),
    "ws_own_text": N_("Own text"),
    "ws_text": N_("Text"),
    "ws_audience": N_("To"),
    "ws_audience_all": N_("Members and villagers"),
    "ws_audience_members": N_("Members"),
    "ws_audience_subscribers": N_("Subscribed villagers"),
    "ws_date": N_("Date"),
    "ws_flag": N_("To check"),
    "ws_tambon": N_("Tambon"),
    "ws_linked": N_("Linked reports (the same incident)"),
    "ws_heads_only": N_("Only the head or the secretary of a centre can manage members and broadcasts."),
    "ws_questions": N_("Questions to the reporter"),
    "ws_question": N_("Question"),
    "ws_answer": N_("Reporter's answer"),
    "ws_no_questions": N_("No questions asked yet."),
    "ws_waiting_answer": N_("Waiting for the reporter's answer."),
    "ws_new_reports": N_("New reports: {count}. The list is up to date."),
    "ws_tambon_unknown": N_("No tambon of that name in the border districts."),
    "ws_system": N_("the gateway"),
    "ws_reporter": N_("the reporter"),
    "ws_ev_received": N_("Report received"),
    "ws_ev_normalised": N_("Text read and sorted"),
    "ws_ev_routed": N_("Sent to the centre"),
    "ws_ev_delivered": N_("Alert delivered"),
    "ws_ev_delivery_failed": N_("Alert failed, trying again"),
    "ws_ev_delivery_skipped": N_("Alert not sent: channel not set up"),
    "ws_ev_fallback": N_("Sent by SMS instead"),
    "ws_ev_escalated": N_("Escalated: nobody acted in time"),
    "ws_ev_dead_letter": N_("Alert given up after many tries"),
    "ws_ev_read": N_("Opened"),
    "ws_ev_asked": N_("Question sent to the reporter"),
    "ws_ev_answered": N_("The reporter answered"),
    "ws_ev_acknowledged": N_("Acknowledged"),
    "ws_ev_assigned": N_("Assigned"),
    "ws_ev_closed": N_("Closed"),
    "ws_ev_update_sent": N_("Reporter told of progress"),
    "ws_ev_update_withheld": N_("Reporter not told (asked for silence)"),
    "ws_ev_refused": N_("Refused: not a member of this centre"),
    "ws_inbox": N_("Web inbox"),
    "ws_dl_pending": N_("waiting"),
    "ws_dl_sent": N_("sent"),
    "ws_dl_retrying": N_("trying again"),
    "ws_dl_dead": N_("failed"),
    "ws_dl_skipped": N_("not sent"),
}

ALL: dict[str, str] = {**REPORTER, **PUSHED, **WORDS, **MENU, **ALERT, **ACTIONS, **WEB, **WORKSPACE}
