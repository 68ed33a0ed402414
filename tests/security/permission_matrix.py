"""Who may do what: every URL pattern and API operation, the outcome per role.

One line per method and route:

    METHOD  route  anon guest member admin owner other  [name=value ...] [?query] [| body]

* route: a page's URL pattern as Django's resolver writes it (``/projects/<int:project_id>/``),
  or an API operation's path as /api/openapi.json writes it (``/api/projects/{pk}``).
* outcomes: the HTTP status, or ``login`` for a redirect to the sign-in page. ``other`` is an
  owner of another organisation: anything of this organisation answers 404 to them.
* Every page is listed for GET and for POST (a page that takes no POST answers 405).
* Path parameters are filled from the seeded demo organisation (``tests/security/harness.py``,
  ``seed``); ``name=value`` overrides one (``kind=kpis``), ``name=@key`` fills it from another
  seeded id (``project_id=@sponsored_project``: the project the member sponsors).
* body: for pages a form body (``name=New&code=NEW``), for the API JSON; without one an API
  write sends every required field of its schema with a sample value.

``tests/security/test_permission_matrix.py`` fails when a route is missing here (and prints the
lines to add) or listed but gone, when a cell answers otherwise, and when a refused write
changed any row of any table.
"""

MATRIX = """
# method route                                                                        anon  guest member admin owner other
# --- accounts
GET    /accounts/instance/                                                            login 404 404 404 404 404
POST   /accounts/instance/                                                            login 404 404 404 404 404
GET    /accounts/organisation/delete/                                                 login 403 403 403 200 200
POST   /accounts/organisation/delete/                                                 login 403 403 403 400 400
GET    /accounts/organisation/new/                                                    login 200 200 200 200 200
POST   /accounts/organisation/new/                                                    login 400 400 400 400 400
GET    /accounts/organisation/switch/                                                 405 405 405 405 405 405
POST   /accounts/organisation/switch/                                                 login 404 404 404 404 404
GET    /accounts/password/                                                            login 200 200 200 200 200
POST   /accounts/password/                                                            login 400 400 400 400 400
GET    /accounts/password/reset/                                                      200 200 200 200 200 200
POST   /accounts/password/reset/                                                      200 200 200 200 200 200
GET    /accounts/password/reset/<uidb64>/<token>/                                     200 200 200 200 200 200
POST   /accounts/password/reset/<uidb64>/<token>/                                     200 200 200 200 200 200
GET    /accounts/password/reset/complete/                                             200 200 200 200 200 200
POST   /accounts/password/reset/complete/                                             405 405 405 405 405 405
GET    /accounts/password/reset/sent/                                                 200 200 200 200 200 200
POST   /accounts/password/reset/sent/                                                 405 405 405 405 405 405
GET    /accounts/people/                                                              login 200 200 200 200 200
POST   /accounts/people/                                                              login 400 400 400 400 400
GET    /accounts/people/<int:membership_id>/remove/                                   405 405 405 405 405 405
POST   /accounts/people/<int:membership_id>/remove/                                   login 403 403 302 302 404
GET    /accounts/people/<int:membership_id>/role/                                     405 405 405 405 405 405
POST   /accounts/people/<int:membership_id>/role/                                     login 403 403 302 302 404  | role=guest&version=1
GET    /accounts/people/invitations/<int:invitation_id>/withdraw/                     405 405 405 405 405 405
POST   /accounts/people/invitations/<int:invitation_id>/withdraw/                     login 403 403 302 302 404
GET    /accounts/profile/invitations/<int:invitation_id>/accept/                      405 405 405 405 405 405
POST   /accounts/profile/invitations/<int:invitation_id>/accept/                      login 404 404 404 404 302  # only the invited person answers
GET    /accounts/profile/invitations/<int:invitation_id>/decline/                     405 405 405 405 405 405
POST   /accounts/profile/invitations/<int:invitation_id>/decline/                     login 404 404 404 404 302
GET    /accounts/people/<int:user_id>/                                                login 200 200 200 200 404
POST   /accounts/people/<int:user_id>/                                                login 403 403 302 302 404
GET    /accounts/preferences/                                                         login 200 200 200 200 200
POST   /accounts/preferences/                                                         login 302 302 302 302 302
GET    /accounts/profile/                                                             login 200 200 200 200 200
POST   /accounts/profile/                                                             login 200 200 200 200 200
GET    /accounts/profile/job-title/                                                   405 405 405 405 405 405
POST   /accounts/profile/job-title/                                                   login 302 302 302 302 302
GET    /accounts/settings/                                                            login 200 200 200 200 200
POST   /accounts/settings/                                                            login 403 403 302 302 302
GET    /accounts/settings/tokens/                                                     login 200 200 200 200 200
POST   /accounts/settings/tokens/                                                     login 400 400 400 400 400
GET    /accounts/settings/tokens/<int:token_id>/revoke/                               405 405 405 405 405 405
POST   /accounts/settings/tokens/<int:token_id>/revoke/                               login 404 404 404 302 404
GET    /accounts/setup/                                                               404 404 404 404 404 404
POST   /accounts/setup/                                                               404 404 404 404 404 404
GET    /accounts/sign-in/                                                             200 200 200 200 200 200
POST   /accounts/sign-in/                                                             400 400 400 400 400 400
GET    /accounts/sign-out/                                                            405 405 405 405 405 405
POST   /accounts/sign-out/                                                            login login login login login login  changes=django_session  # signing out ends the session: that is the point
GET    /accounts/sign-up/                                                             404 404 404 404 404 404
POST   /accounts/sign-up/                                                             404 404 404 404 404 404
GET    /accounts/sign-up/confirm/<uidb64>/<token>/                                    400 400 400 400 400 400  # a link that is no sign-up's
POST   /accounts/sign-up/confirm/<uidb64>/<token>/                                    400 400 400 400 400 400
GET    /accounts/teams/                                                               login 200 200 200 200 200
POST   /accounts/teams/                                                               login 400 400 400 400 400
POST   /accounts/teams/                                                               login 403 403 302 302 302  | name=Matrix+crew
GET    /accounts/teams/<int:team_id>/                                                 login 200 200 200 200 404
POST   /accounts/teams/<int:team_id>/                                                 login 403 403 302 302 404
POST   /accounts/teams/<int:team_id>/                                                 login 403 403 302 302 404  | delete=1

# --- attachments
GET    /attachments/<int:attachment_id>/delete/                                       405 405 405 405 405 405
POST   /attachments/<int:attachment_id>/delete/                                       login 403 403 302 302 404
GET    /attachments/<int:attachment_id>/download/                                     login 200 200 200 200 404
POST   /attachments/<int:attachment_id>/download/                                     login 200 200 200 200 404
GET    /attachments/<str:kind>/<int:target_id>/                                       login 200 200 200 200 404
POST   /attachments/<str:kind>/<int:target_id>/                                       login 400 400 400 400 404
GET    /attachments/mentions/                                                         login 200 200 200 200 200
POST   /attachments/mentions/                                                         login 200 200 200 200 200

# --- calendars
GET    /calendars/                                                                    login 200 200 200 200 200
POST   /calendars/                                                                    login 403 403 400 400 400
GET    /calendars/<int:pk>/                                                           login 200 200 200 200 404
POST   /calendars/<int:pk>/                                                           login 403 403 302 302 404
GET    /calendars/<int:pk>/delete/                                                    login 302 302 302 302 404
POST   /calendars/<int:pk>/delete/                                                    login 403 403 302 302 404
GET    /calendars/<int:pk>/holidays/                                                  login 302 302 302 302 404
POST   /calendars/<int:pk>/holidays/                                                  login 400 400 400 400 404
GET    /calendars/<int:pk>/holidays/<int:holiday_id>/delete/                          login 302 302 302 302 404
POST   /calendars/<int:pk>/holidays/<int:holiday_id>/delete/                          login 403 403 302 302 404

# --- capacity
GET    /capacity/                                                                     login 200 200 200 200 200
POST   /capacity/                                                                     login 200 200 200 200 200
GET    /capacity/availability/                                                        login 302 302 302 302 302
POST   /capacity/availability/                                                        login 302 302 302 302 302
GET    /capacity/cell/                                                                login 200 200 200 200 404  ?person={user_id}&week=2025-03-03
POST   /capacity/cell/                                                                login 200 200 200 200 404  ?person={user_id}&week=2025-03-03
GET    /capacity/people/<int:user_id>/availability/                                   login 200 200 200 200 404
POST   /capacity/people/<int:user_id>/availability/                                   login 200 200 200 200 404
GET    /capacity/people/<int:user_id>/availability/absences/                          login 405 405 405 405 405
POST   /capacity/people/<int:user_id>/availability/absences/                          login 422 422 422 422 404
GET    /capacity/people/<int:user_id>/availability/absences/<int:absence_id>/         login 200 200 200 200 404
POST   /capacity/people/<int:user_id>/availability/absences/<int:absence_id>/         login 403 403 302 302 404
GET    /capacity/people/<int:user_id>/availability/absences/<int:absence_id>/delete/  login 405 405 405 405 405
POST   /capacity/people/<int:user_id>/availability/absences/<int:absence_id>/delete/  login 403 403 302 302 404
GET    /capacity/people/<int:user_id>/availability/pattern/                           login 405 405 405 405 405
POST   /capacity/people/<int:user_id>/availability/pattern/                           login 422 422 422 422 404
GET    /capacity/people/<int:user_id>/availability/patterns/<int:pattern_id>/delete/  login 405 405 405 405 405
POST   /capacity/people/<int:user_id>/availability/patterns/<int:pattern_id>/delete/  login 403 403 302 302 404
GET    /capacity/projects/<int:project_id>/level/                                     login 403 200 200 200 404
POST   /capacity/projects/<int:project_id>/level/                                     login 403 302 302 302 404
GET    /capacity/projects/<int:project_id>/level/run/                                 login 405 405 405 405 405
POST   /capacity/projects/<int:project_id>/level/run/                                 login 302 302 302 302 404
GET    /capacity/projects/<int:project_id>/level/clear/                               login 405 405 405 405 405
POST   /capacity/projects/<int:project_id>/level/clear/                               login 403 302 302 302 404
GET    /capacity/reservations/                                                        login 200 200 200 200 200
POST   /capacity/reservations/                                                        login 422 422 422 422 422
POST   /capacity/reservations/                                                        login 403 403 302 302 422  | label=Matrix+cover&percent=5&person={user_id}&start=2025-03-03  # other: not a person of theirs
GET    /capacity/reservations/<int:reservation_id>/delete/                            login 405 405 405 405 405
POST   /capacity/reservations/<int:reservation_id>/delete/                            login 403 403 302 302 404
GET    /capacity/queues/                                                              login 200 200 200 200 200
POST   /capacity/queues/                                                              login 403 403 302 302 404  # the page's first queue form, sent back
GET    /capacity/take-on/                                                             login 200 200 200 200 200
POST   /capacity/take-on/                                                             login 200 200 200 200 200

# --- closeout
GET    /closeout/handovers/<int:pk>/hypercare/                                        login 405 405 405 405 405
POST   /closeout/handovers/<int:pk>/hypercare/                                        login 403 403 302 302 404
GET    /closeout/handovers/<int:pk>/parts/<str:kind>/                                 login 200 200 200 200 404  kind=process
POST   /closeout/handovers/<int:pk>/parts/<str:kind>/                                 login 403 403 422 422 404  kind=process
GET    /closeout/lessons/                                                             login 200 200 200 200 200
POST   /closeout/lessons/                                                             login 200 200 200 200 200
GET    /closeout/lessons/<int:pk>/                                                    login 200 200 200 200 404
POST   /closeout/lessons/<int:pk>/                                                    login 422 422 422 422 404
POST   /closeout/lessons/<int:pk>/                                                    login 403 302 302 302 404  | action=edit&version={lesson_version}&title=Matrix+lesson&worked=Kept+short
GET    /closeout/parts/<int:pk>/remove/                                               login 405 405 405 405 405
POST   /closeout/parts/<int:pk>/remove/                                               login 403 403 302 302 404  # admin: the demo's handover is accepted, said in a message
GET    /closeout/projects/<int:pk>/lessons/                                           login 200 200 200 200 404
POST   /closeout/projects/<int:pk>/lessons/                                           login 403 404 404 404 404  # lessons are recorded in closure only: the demo's project is not there

# --- changes (change control; deciding: the sponsor, the change board, or an admin)
GET    /changes/board/                                                                login 200 200 200 200 200
POST   /changes/board/                                                                login 403 403 302 302 302
GET    /changes/<int:change_id>/                                                      login 200 200 200 200 404
POST   /changes/<int:change_id>/                                                      login 403 403 302 302 404
GET    /changes/projects/<int:project_id>/                                            login 200 200 200 200 404
POST   /changes/projects/<int:project_id>/                                            login 405 405 405 405 404
GET    /changes/projects/<int:project_id>/new/                                        login 403 200 200 200 404
POST   /changes/projects/<int:project_id>/new/                                        login 403 400 400 400 404

# --- earned value (money: admins, owners, the project's manager and sponsor; never members)
GET    /evm/                                                                          login 403 403 200 200 200
POST   /evm/                                                                          login 405 405 405 405 405
GET    /evm/projects/<int:project_id>/                                                login 403 403 200 200 404
POST   /evm/projects/<int:project_id>/                                                login 403 403 302 302 404
GET    /evm/projects/<int:project_id>/export/                                         login 403 403 200 200 404
GET    /evm/projects/<int:project_id>/                                                login 403 200 200 200 404  project_id=@sponsored_project  # the member sponsors it: a sponsor sees its money
GET    /evm/projects/<int:project_id>/export/                                         login 403 200 200 200 404  project_id=@sponsored_project
POST   /evm/projects/<int:project_id>/export/                                         login 405 405 405 405 405

# --- favicon.ico
GET    /favicon.ico                                                                   302 302 302 302 302 302
POST   /favicon.ico                                                                   302 302 302 302 302 302

# --- exports (spreadsheets)
GET    /exports/<slug:what>.<slug:fmt>                                                login 200 200 200 200 200  what=tasks fmt=xlsx  # every member exports what the pages show them; "other" gets their own organisation's
POST   /exports/<slug:what>.<slug:fmt>                                                405 405 405 405 405 405  what=tasks fmt=xlsx

# --- imports (microsoft project)
GET    /imports/project-file/                                                         login 403 403 200 200 200
POST   /imports/project-file/                                                         login 403 403 400 400 400
GET    /imports/project-file/<int:upload_id>/                                         login 404 404 404 200 404  # an upload is its uploader's: nobody else sees it
POST   /imports/project-file/<int:upload_id>/                                         login 404 404 404 302 404
# --- imports (spreadsheets of tasks)
GET    /imports/spreadsheet/                                                          login 200 200 200 200 200  # a guest sees that their role adds no tasks
POST   /imports/spreadsheet/                                                          login 400 400 400 400 400  # no file: the form refuses before any write
GET    /imports/spreadsheet/<int:sheet_id>/                                           login 404 404 404 200 404  # an upload is its uploader's: nobody else sees it
POST   /imports/spreadsheet/<int:sheet_id>/                                           login 404 404 404 200 404  | col_name=0&action=check
GET    /projects/<int:project_id>/export.xml                                          login 200 200 200 200 404
POST   /projects/<int:project_id>/export.xml                                          405 405 405 405 405 405

# --- feeds
GET    /feeds/                                                                        login 200 200 200 200 200
POST   /feeds/                                                                        login 200 200 200 200 200
GET    /feeds/<int:feed_id>/revoke/                                                   405 405 405 405 405 405
POST   /feeds/<int:feed_id>/revoke/                                                   login 404 404 404 302 404  # a feed is its owner's: nobody else sees it
GET    /organisation/transfer/                                                        login 200 200 200 200 200
POST   /organisation/transfer/                                                        login 403 403 403 200 200  # owners export (other: their own organisation)
GET    /organisation/import/                                                          405 405 405 405 405 405
POST   /organisation/import/                                                          login 400 400 400 400 400  # anyone signed in imports a new organisation
GET    /organisation/exports/<int:job_id>/download/                                   login 403 403 403 200 404
POST   /organisation/exports/<int:job_id>/download/                                   405 405 405 405 405 405
GET    /feeds/<str:secret>.ics                                                        200 200 200 200 200 200  # the secret in the URL is the credential
POST   /feeds/<str:secret>.ics                                                        405 405 405 405 405 405

# --- webhooks (organisation settings: admins and owners)
GET    /settings/webhooks/                                                            login 403 403 200 200 200
POST   /settings/webhooks/                                                            login 403 403 200 200 200  | url=https://93.184.216.34/hook&event_types=task.created&active=on
GET    /settings/webhooks/<int:endpoint_id>/                                          login 403 403 200 200 404
POST   /settings/webhooks/<int:endpoint_id>/                                          login 403 403 302 302 404  | url=https://93.184.216.34/hook&event_types=task.created&active=on&version=1
GET    /settings/webhooks/<int:endpoint_id>/rotate-secret/                            405 405 405 405 405 405
POST   /settings/webhooks/<int:endpoint_id>/rotate-secret/                            login 403 403 200 200 404
GET    /settings/webhooks/<int:endpoint_id>/test/                                     405 405 405 405 405 405
POST   /settings/webhooks/<int:endpoint_id>/test/                                     login 403 403 302 302 404
GET    /settings/webhooks/<int:endpoint_id>/delete/                                   405 405 405 405 405 405
POST   /settings/webhooks/<int:endpoint_id>/delete/                                   login 403 403 302 302 404
GET    /settings/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/redeliver/   405 405 405 405 405 405
POST   /settings/webhooks/<int:endpoint_id>/deliveries/<int:delivery_id>/redeliver/   login 403 403 302 302 404

# --- fields
GET    /fields/                                                                       login 200 200 200 200 200
POST   /fields/                                                                       login 400 400 400 400 400
GET    /fields/<int:definition_id>/                                                   login 200 200 200 200 404
POST   /fields/<int:definition_id>/                                                   login 403 403 302 302 404
GET    /fields/<int:definition_id>/delete/                                            405 405 405 405 405 405
POST   /fields/<int:definition_id>/delete/                                            login 403 403 302 302 404
GET    /fields/values/<str:kind>/<int:target_id>/                                     login 200 200 200 200 404
POST   /fields/values/<str:kind>/<int:target_id>/                                     login 403 302 302 302 404

# --- healthz
GET    /healthz                                                                       200 200 200 200 200 200
POST   /healthz                                                                       200 200 200 200 200 200
# --- any other path under /api/: the API's JSON 404
GET    /^api/                                                                         404 404 404 404 404 404
POST   /^api/                                                                         404 404 404 404 404 404

# --- improvement
GET    /improvement/                                                                  login 200 200 200 200 200
POST   /improvement/                                                                  login 200 200 200 200 200
GET    /improvement/handovers/                                                        login 200 200 200 200 200
POST   /improvement/handovers/                                                        login 200 200 200 200 200
GET    /improvement/handovers/<int:pk>/                                               login 200 200 200 200 404
POST   /improvement/handovers/<int:pk>/                                               login 403 403 302 302 404
GET    /improvement/handovers/new/                                                    login 403 200 200 200 200
POST   /improvement/handovers/new/                                                    login 403 422 422 422 422
GET    /improvement/items/                                                            login 200 200 200 200 200
POST   /improvement/items/                                                            login 200 200 200 200 200
GET    /improvement/items/<int:pk>/                                                   login 200 200 200 200 404
POST   /improvement/items/<int:pk>/                                                   login 403 302 302 302 404
GET    /improvement/items/<int:pk>/edit/                                              login 403 200 200 200 404
POST   /improvement/items/<int:pk>/edit/                                              login 403 302 302 302 404
GET    /improvement/items/new/                                                        login 403 200 200 200 200
POST   /improvement/items/new/                                                        login 403 422 422 422 422
GET    /improvement/settings/deliverables/                                            login 200 200 200 200 200
POST   /improvement/settings/deliverables/                                            login 403 403 302 302 302
GET    /improvement/signals/                                                          login 200 200 200 200 200
POST   /improvement/signals/                                                          login 200 200 200 200 200
GET    /improvement/items/<int:pk>/trash/                                             405 405 405 405 405 405
POST   /improvement/items/<int:pk>/trash/                                             login 403 302 302 302 404
GET    /improvement/process-changes/<int:pk>/                                         login 405 405 405 405 405
POST   /improvement/process-changes/<int:pk>/                                         login 403 302 302 302 404
GET    /improvement/projects/<int:project_id>/processes/                              login 405 405 405 405 405
POST   /improvement/projects/<int:project_id>/processes/                              login 302 302 302 302 404  # no process chosen: the error is flashed before anything is tried
POST   /improvement/projects/<int:project_id>/processes/                              login 403 302 302 302 404  | process={processes}

# --- jobs
GET    /jobs/<int:job_id>/                                                            login 302 302 302 302 404
POST   /jobs/<int:job_id>/                                                            login 302 302 302 302 404
GET    /jobs/<int:job_id>/cancel/                                                     login 405 405 405 405 405
POST   /jobs/<int:job_id>/cancel/                                                     login 403 403 302 302 404

# --- my-work
GET    /my-work/                                                                      login 200 200 200 200 200
POST   /my-work/                                                                      login 200 200 200 200 200

# --- notifications
GET    /notifications/                                                                login 200 200 200 200 200
POST   /notifications/                                                                login 405 405 405 405 405
GET    /notifications/<int:notification_id>/open/                                     login 404 404 404 200 404  # without a same-site header: a page with the Open button
POST   /notifications/<int:notification_id>/open/                                     login 404 404 404 302 404
GET    /notifications/<int:notification_id>/read/                                     login 405 405 405 405 405
POST   /notifications/<int:notification_id>/read/                                     login 404 404 404 302 404
GET    /notifications/bell/                                                           login 200 200 200 200 200
POST   /notifications/bell/                                                           login 405 405 405 405 405
GET    /notifications/follow/<str:target_type>/<int:target_id>/                       login 200 200 200 200 404
POST   /notifications/follow/<str:target_type>/<int:target_id>/                       login 302 302 302 302 404
GET    /notifications/outbox/                                                         login 403 403 200 200 200
POST   /notifications/outbox/                                                         login 403 403 405 405 405
GET    /notifications/outbox/<int:email_id>/retry/                                    login 405 405 405 405 405
POST   /notifications/outbox/<int:email_id>/retry/                                    login 403 403 302 302 404
GET    /notifications/read-all/                                                       login 405 405 405 405 405
POST   /notifications/read-all/                                                       login 302 302 302 302 302
GET    /notifications/settings/                                                       login 200 200 200 200 200
POST   /notifications/settings/                                                       login 302 302 302 302 302
GET    /notifications/unsubscribe/<str:token>/                                        400 400 400 400 400 400
POST   /notifications/unsubscribe/<str:token>/                                        400 400 400 400 400 400

# --- operations
GET    /operations/                                                                   login 200 200 200 200 200
POST   /operations/                                                                   login 200 200 200 200 200
GET    /operations/<str:kind>/<int:pk>/archive/                                       405 405 405 405 405 405
POST   /operations/<str:kind>/<int:pk>/archive/                                       login 403 403 302 302 404
GET    /operations/<str:kind>/<int:pk>/delete/                                        login 403 403 200 200 404
POST   /operations/<str:kind>/<int:pk>/delete/                                        login 403 403 302 302 404
GET    /operations/calendars/                                                         login 302 302 302 302 302
POST   /operations/calendars/                                                         login 302 302 302 302 302
GET    /operations/calendars/<int:pk>/edit/                                           login 302 302 302 302 302
POST   /operations/calendars/<int:pk>/edit/                                           login 302 302 302 302 302
GET    /operations/calendars/new/                                                     login 302 302 302 302 302
POST   /operations/calendars/new/                                                     login 302 302 302 302 302
GET    /operations/flow/                                                              login 200 200 200 200 200
POST   /operations/flow/                                                              login 200 200 200 200 200
GET    /operations/generate/                                                          405 405 405 405 405 405
POST   /operations/generate/                                                          login 403 403 302 302 302
GET    /operations/kpis/<int:pk>/                                                     login 200 200 200 200 404
POST   /operations/kpis/<int:pk>/                                                     login 400 400 400 400 404
GET    /operations/kpis/<int:pk>/edit/                                                login 403 403 200 200 404
POST   /operations/kpis/<int:pk>/edit/                                                login 403 403 302 302 404
GET    /operations/occurrences/<int:pk>/                                              login 200 200 200 200 404
POST   /operations/occurrences/<int:pk>/                                              login 400 400 400 400 404
GET    /operations/processes/<int:pk>/                                                login 200 200 200 200 404
POST   /operations/processes/<int:pk>/                                                login 400 400 400 400 404
GET    /operations/processes/<int:pk>/edit/                                           login 403 403 200 200 404
POST   /operations/processes/<int:pk>/edit/                                           login 403 403 302 302 404
GET    /operations/processes/new/                                                     login 403 403 200 200 200
POST   /operations/processes/new/                                                     login 403 403 400 400 400
GET    /operations/queues/<int:pk>/                                                   login 200 200 200 200 404
POST   /operations/queues/<int:pk>/                                                   login 400 400 400 400 404
GET    /operations/queues/<int:pk>/edit/                                              login 403 403 200 200 404
POST   /operations/queues/<int:pk>/edit/                                              login 403 403 302 302 404
GET    /operations/queues/new/                                                        login 403 403 200 200 200
POST   /operations/queues/new/                                                        login 403 403 400 400 400
GET    /operations/requests/<int:pk>/                                                 login 200 200 200 200 404
POST   /operations/requests/<int:pk>/                                                 login 400 400 400 400 404
GET    /operations/routines/<int:pk>/                                                 login 200 200 200 200 404
POST   /operations/routines/<int:pk>/                                                 login 200 200 200 200 404
GET    /operations/routines/<int:pk>/edit/                                            login 403 403 200 200 404
POST   /operations/routines/<int:pk>/edit/                                            login 403 403 302 302 404
GET    /operations/routines/new/                                                      login 403 403 200 200 200
POST   /operations/routines/new/                                                      login 403 403 400 400 400
GET    /operations/evidence/<int:pk>/file/                                            login 200 200 200 200 404
POST   /operations/evidence/<int:pk>/file/                                            login 200 200 200 200 404
GET    /operations/kpis/<int:pk>/change-points/                                       login 405 405 405 405 405
POST   /operations/kpis/<int:pk>/change-points/                                       login 302 302 302 302 404  # no date: the form's error is flashed before anything is tried
POST   /operations/kpis/<int:pk>/change-points/                                       login 403 403 302 302 404  | date=2025-03-03&label=Matrix+change
GET    /operations/measurements/<int:pk>/                                             login 200 200 200 200 404
POST   /operations/measurements/<int:pk>/                                             login 400 400 400 400 404
POST   /operations/measurements/<int:pk>/                                             login 403 302 302 302 404  | action=void&reason=Matrix+check&version=1
GET    /operations/occurrences/<int:pk>/record/                                       login 200 200 200 200 404
POST   /operations/occurrences/<int:pk>/record/                                       login 200 200 200 200 404
GET    /operations/quality/                                                           login 200 200 200 200 200
POST   /operations/quality/                                                           login 200 200 200 200 200
GET    /operations/quality/<int:pk>/                                                  login 200 200 200 200 404
POST   /operations/quality/<int:pk>/                                                  login 200 200 200 200 404
GET    /operations/quality/<int:pk>/actions/<int:action_id>/                          login 403 302 302 302 404
POST   /operations/quality/<int:pk>/actions/<int:action_id>/                          login 403 302 302 302 404
GET    /operations/quality/audit/<int:job_id>/download/                               login 200 200 200 200 404
POST   /operations/quality/audit/<int:job_id>/download/                               login 200 200 200 200 404
GET    /operations/quality/new/                                                       login 403 200 200 200 200
POST   /operations/quality/new/                                                       login 403 400 400 400 400
GET    /operations/quality/processes/<int:process_id>/                                login 200 200 200 200 404
POST   /operations/quality/processes/<int:process_id>/                                login 200 200 200 200 404
GET    /operations/quality/processes/<int:process_id>/audit/                          login 200 200 200 200 404
POST   /operations/quality/processes/<int:process_id>/audit/                          login 200 200 200 200 404
GET    /operations/requests/<int:pk>/assignment/                                      login 405 405 405 405 405
POST   /operations/requests/<int:pk>/assignment/                                      login 302 302 302 302 404  # no version: the form's error is flashed before anything is tried
POST   /operations/requests/<int:pk>/assignment/                                      login 403 302 302 302 404  | action=priority&priority=p2&version=1
GET    /operations/requests/<int:pk>/trash/                                           405 405 405 405 405 405
POST   /operations/requests/<int:pk>/trash/                                           login 403 302 302 302 404

# --- portfolio
GET    /                                                                              login 200 200 200 200 200
POST   /                                                                              login 200 200 200 200 200

# --- programmes
GET    /programmes/                                                                   login 200 200 200 200 200
POST   /programmes/                                                                   login 200 200 200 200 200
GET    /programmes/<int:programme_id>/                                                login 200 200 200 200 404
POST   /programmes/<int:programme_id>/                                                login 200 200 200 200 404
GET    /programmes/<int:programme_id>/<str:action>/                                   405 405 405 405 405 405  action=archive
POST   /programmes/<int:programme_id>/<str:action>/                                   login 403 403 302 302 404  action=archive
GET    /programmes/<int:programme_id>/edit/                                           login 200 200 200 200 404
POST   /programmes/<int:programme_id>/edit/                                           login 403 403 302 302 404
GET    /programmes/new/                                                               login 200 200 200 200 200
POST   /programmes/new/                                                               login 400 400 400 400 400
POST   /programmes/new/                                                               login 403 403 302 302 302  | name=Matrix+programme

# --- projects
GET    /projects/                                                                     login 200 200 200 200 200
POST   /projects/                                                                     login 200 200 200 200 200
GET    /projects/<int:project_id>/                                                    login 200 200 200 200 404
POST   /projects/<int:project_id>/                                                    login 200 200 200 200 404
GET    /projects/<int:project_id>/archive/                                            405 405 405 405 405 405
POST   /projects/<int:project_id>/archive/                                            login 403 403 302 302 404
GET    /projects/<int:project_id>/baselines/                                          login 200 200 200 200 404
POST   /projects/<int:project_id>/baselines/                                          login 403 302 302 302 404
GET    /projects/<int:project_id>/board/                                              login 200 200 200 200 404
POST   /projects/<int:project_id>/board/                                              login 400 400 400 400 404
GET    /projects/<int:project_id>/board/limits/                                       405 405 405 405 405 405
POST   /projects/<int:project_id>/board/limits/                                       login 403 403 400 400 404
GET    /projects/<int:project_id>/board/move/                                         405 405 405 405 405 405
POST   /projects/<int:project_id>/board/move/                                         login 422 422 422 422 404
GET    /projects/<int:project_id>/delete/                                             login 200 200 200 200 404
POST   /projects/<int:project_id>/delete/                                             login 422 422 422 422 404
GET    /projects/<int:project_id>/edit/                                               login 200 200 200 200 404
POST   /projects/<int:project_id>/edit/                                               login 403 403 302 302 404
GET    /projects/<int:project_id>/gantt/                                              login 200 200 200 200 404
POST   /projects/<int:project_id>/gantt/                                              login 200 200 200 200 404
GET    /projects/<int:project_id>/gantt/<int:task_id>/drag/                           405 405 405 405 405 405
POST   /projects/<int:project_id>/gantt/<int:task_id>/drag/                           login 403 422 422 422 404
GET    /projects/<int:project_id>/gantt/<int:task_id>/resize/                         405 405 405 405 405 405
POST   /projects/<int:project_id>/gantt/<int:task_id>/resize/                         login 403 422 422 422 404
GET    /projects/<int:project_id>/gantt/links/                                        405 405 405 405 405 405
POST   /projects/<int:project_id>/gantt/links/                                        login 403 422 422 422 404
GET    /projects/<int:project_id>/gates/                                              login 200 200 200 200 404
POST   /projects/<int:project_id>/gates/                                              login 200 200 200 200 404
GET    /projects/<int:project_id>/gates/<int:gate_id>/pass/                           405 405 405 405 405 405
POST   /projects/<int:project_id>/gates/<int:gate_id>/pass/                           login 403 403 400 400 404
GET    /projects/<int:project_id>/gates/items/<int:item_id>/toggle/                   405 405 405 405 405 405
POST   /projects/<int:project_id>/gates/items/<int:item_id>/toggle/                   login 403 400 400 400 404
GET    /projects/<int:project_id>/links/                                              405 405 405 405 405 405
POST   /projects/<int:project_id>/links/                                              login 400 400 400 400 404
GET    /projects/<int:project_id>/links/<int:link_id>/delete/                         405 405 405 405 405 405
POST   /projects/<int:project_id>/links/<int:link_id>/delete/                         login 403 302 302 302 404
GET    /projects/<int:project_id>/tasks/                                              login 200 200 200 200 404
POST   /projects/<int:project_id>/tasks/                                              login 400 400 400 400 404
POST   /projects/<int:project_id>/tasks/                                              login 403 302 302 302 404  | name=Matrix+task&duration_days=2
GET    /projects/<int:project_id>/tasks/<int:task_id>/                                login 200 200 200 200 404
POST   /projects/<int:project_id>/tasks/<int:task_id>/                                login 403 302 302 302 404
GET    /projects/<int:project_id>/tasks/<int:task_id>/<str:action>/                   405 405 405 405 405 405
POST   /projects/<int:project_id>/tasks/<int:task_id>/<str:action>/                   login 403 400 400 400 404
GET    /projects/<int:project_id>/tasks/<int:task_id>/delete/                         login 403 200 200 200 404
POST   /projects/<int:project_id>/tasks/<int:task_id>/delete/                         login 403 302 302 302 404
GET    /projects/<int:project_id>/tasks/<int:task_id>/inline/                         405 405 405 405 405 405
POST   /projects/<int:project_id>/tasks/<int:task_id>/inline/                         login 403 302 302 302 404
GET    /projects/new/                                                                 login 200 200 200 200 200
POST   /projects/new/                                                                 login 400 400 400 400 400
POST   /projects/new/                                                                 login 403 403 302 302 302  | name=Matrix+line&code=MX-1&target_start=2027-03-01

# --- reports
GET    /reports/                                                                      login 200 200 200 200 200
POST   /reports/                                                                      login 200 200 200 200 200
GET    /reports/export/kpi-measurements.csv                                           login 200 200 200 200 200
POST   /reports/export/kpi-measurements.csv                                           login 200 200 200 200 200
GET    /reports/export/projects.csv                                                   login 200 200 200 200 200
POST   /reports/export/projects.csv                                                   login 200 200 200 200 200
GET    /reports/export/tasks.csv                                                      login 200 200 200 200 200
POST   /reports/export/tasks.csv                                                      login 200 200 200 200 200

# --- risks
GET    /risks/                                                                        login 200 200 200 200 200
POST   /risks/                                                                        login 200 200 200 200 200
GET    /risks/<int:risk_id>/                                                          login 200 200 200 200 404
POST   /risks/<int:risk_id>/                                                          login 403 302 302 302 404
POST   /risks/<int:risk_id>/                                                          login 403 302 302 302 404  | delete=1
GET    /risks/projects/<int:project_id>/                                              login 200 200 200 200 404
POST   /risks/projects/<int:project_id>/                                              login 200 200 200 200 404
GET    /risks/projects/<int:project_id>/new/                                          login 403 200 200 200 404
POST   /risks/projects/<int:project_id>/new/                                          login 400 400 400 400 404
POST   /risks/projects/<int:project_id>/new/                                          login 403 302 302 302 404  | title=Matrix+risk&category=technical&probability=3&impact=3&status=open&response=mitigate
GET    /risks/projects/<int:project_id>/schedule/                                     login 200 200 200 200 404
POST   /risks/projects/<int:project_id>/schedule/                                     login 403 302 302 302 404

# --- search
GET    /search/                                                                       login 200 200 200 200 200
POST   /search/                                                                       405 405 405 405 405 405
GET    /search/suggest/                                                               login 200 200 200 200 200
POST   /search/suggest/                                                               405 405 405 405 405 405

# --- settings
GET    /settings/gate-checklists/                                                     login 200 200 200 200 200
POST   /settings/gate-checklists/                                                     login 403 403 302 302 302

# --- templates
GET    /templates/                                                                    login 200 200 200 200 200
POST   /templates/                                                                    login 200 200 200 200 200
GET    /templates/<int:template_id>/                                                  login 200 200 200 200 404
POST   /templates/<int:template_id>/                                                  login 403 403 302 302 404
GET    /templates/<int:template_id>/delete/                                           405 405 405 405 405 405
POST   /templates/<int:template_id>/delete/                                           login 403 403 302 302 404
GET    /templates/from-project/<int:project_id>/                                      login 200 200 200 200 404
POST   /templates/from-project/<int:project_id>/                                      login 403 403 302 302 404
GET    /templates/new-project/                                                        login 200 200 200 200 200
POST   /templates/new-project/                                                        login 400 400 400 400 400

# --- trash
GET    /trash/                                                                        login 403 403 200 200 200
POST   /trash/                                                                        login 403 403 200 200 200
GET    /trash/<int:entry_id>/purge/                                                   405 405 405 405 405 405
POST   /trash/<int:entry_id>/purge/                                                   login 403 403 302 302 404
GET    /trash/<int:entry_id>/restore/                                                 405 405 405 405 405 405
POST   /trash/<int:entry_id>/restore/                                                 login 403 403 302 302 404

# --- activity, comments, live pages
GET    /activity/                                                                     login 200 200 200 200 200
POST   /activity/                                                                     405 405 405 405 405 405
GET    /activity/<str:activity_secret>.atom                                           200 200 200 200 200 200  # the secret in the URL is the credential
POST   /activity/<str:activity_secret>.atom                                           405 405 405 405 405 405
GET    /activity/feeds/                                                               login 200 200 200 200 200
POST   /activity/feeds/                                                               login 200 200 200 200 200  # a person's own read-only feed: guests read
GET    /activity/feeds/<int:activity_feed_id>/revoke/                                 405 405 405 405 405 405
POST   /activity/feeds/<int:activity_feed_id>/revoke/                                 login 404 404 404 302 404  # a feed is its owner's: nobody else sees it
GET    /activity/processes/<int:process_id>/                                          login 200 200 200 200 404
POST   /activity/processes/<int:process_id>/                                          405 405 405 405 405 405
GET    /activity/projects/<int:project_id>/                                           login 200 200 200 200 404
POST   /activity/projects/<int:project_id>/                                           405 405 405 405 405 405
GET    /comments/<int:pk>/delete/                                                     405 405 405 405 405 405
POST   /comments/<int:pk>/delete/                                                     login 403 302 302 302 404  # its author (the matrix member) or an admin
GET    /comments/<int:pk>/edit/                                                       login 403 200 403 403 404  # its author only, within the edit window
POST   /comments/<int:pk>/edit/                                                       login 403 400 403 403 404
POST   /comments/<int:pk>/edit/                                                       login 403 302 403 403 404  | body=Edited+in+the+matrix&version={comment_version}
GET    /comments/<str:kind>/<int:target_id>/                                          login 302 302 302 302 404
POST   /comments/<str:kind>/<int:target_id>/                                          login 403 400 400 400 404
POST   /comments/<str:kind>/<int:target_id>/                                          login 403 302 302 302 404  | body=Matrix+says+hello
GET    /live/<str:key>/                                                               404 200 200 200 200 404  # the change check of live pages: JSON, never a sign-in page
POST   /live/<str:key>/                                                               405 405 405 405 405 405

# --- api
GET    /api/                                                                          404 404 404 404 404 404
POST   /api/                                                                          404 404 404 404 404 404

# --- api calendars
GET    /api/organisations/{org_id}/calendars                                          401 200 200 200 200 404
POST   /api/organisations/{org_id}/calendars                                          401 403 403 201 201 404
GET    /api/organisations/{org_id}/calendars/{pk}                                     401 200 200 200 200 404
PATCH  /api/organisations/{org_id}/calendars/{pk}                                     401 403 403 200 200 404
DELETE /api/organisations/{org_id}/calendars/{pk}                                     401 403 403 422 422 404
POST   /api/organisations/{org_id}/calendars/{pk}/holidays                            401 403 403 201 201 404
DELETE /api/organisations/{org_id}/calendars/{pk}/holidays/{holiday_id}               401 403 403 200 200 404

# --- api capacity
GET    /api/organisations/{org_id}/capacity/usage                                     401 200 200 200 200 404

# --- api changes
GET    /api/organisations/{org_id}/projects/{project_id}/changes                      401 200 200 200 200 404
POST   /api/organisations/{org_id}/projects/{project_id}/changes                      401 403 422 422 422 404
POST   /api/organisations/{org_id}/projects/{project_id}/changes/impact               401 403 200 200 200 404
GET    /api/organisations/{org_id}/changes/{change_id}                                401 200 200 200 200 404
POST   /api/organisations/{org_id}/changes/{change_id}/decision                       401 403 403 422 422 404  | {"decision": "reject", "note": "", "version": 1}
POST   /api/organisations/{org_id}/changes/{change_id}/withdraw                       401 403 403 200 200 404  | {"reason": "Superseded", "version": 1}
GET    /api/organisations/{org_id}/change-board                                       401 200 200 200 200 404
PUT    /api/organisations/{org_id}/change-board                                       401 403 403 200 200 404

# --- api earned value
GET    /api/organisations/{org_id}/earned-value                                       401 403 403 200 200 404
GET    /api/organisations/{org_id}/projects/{project_id}/earned-value                 401 403 403 200 200 404
GET    /api/organisations/{org_id}/projects/{project_id}/budget                       401 403 403 200 200 404
PUT    /api/organisations/{org_id}/projects/{project_id}/budget                       401 403 403 200 200 404
GET    /api/organisations/{org_id}/projects/{project_id}/budget                       401 403 200 200 200 404  project_id=@sponsored_project
GET    /api/organisations/{org_id}/projects/{project_id}/budget/lines                 401 403 403 200 200 404
GET    /api/organisations/{org_id}/projects/{project_id}/earned-value                 401 403 200 200 200 404  project_id=@sponsored_project  # the member sponsors it
GET    /api/organisations/{org_id}/projects/{project_id}/budget/lines                 401 403 200 200 200 404  project_id=@sponsored_project
POST   /api/organisations/{org_id}/projects/{project_id}/budget/lines                 401 403 403 201 201 404
DELETE /api/organisations/{org_id}/projects/{project_id}/budget/lines/{line_id}       401 403 403 204 204 404

# --- api docs
GET    /api/docs                                                                      200 200 200 200 200 200
POST   /api/docs                                                                      200 200 200 200 200 200

# --- api field-values
GET    /api/organisations/{org_id}/field-values/{kind}/{target_id}                    401 200 200 200 200 404
POST   /api/organisations/{org_id}/field-values/{kind}/{target_id}                    401 403 200 200 200 404

# --- api fields
GET    /api/organisations/{org_id}/fields                                             401 200 200 200 200 404
POST   /api/organisations/{org_id}/fields                                             401 403 403 201 201 404
GET    /api/organisations/{org_id}/fields/{field_id}                                  401 200 200 200 200 404
PATCH  /api/organisations/{org_id}/fields/{field_id}                                  401 403 403 200 200 404
DELETE /api/organisations/{org_id}/fields/{field_id}                                  401 403 403 204 204 404

# --- api improvement
GET    /api/organisations/{org_id}/improvement/handovers                              401 200 200 200 200 404
POST   /api/organisations/{org_id}/improvement/handovers                              401 403 403 201 201 404  | {"project_id": 1, "process_id": 1}
GET    /api/organisations/{org_id}/improvement/handovers/{handover_id}                401 200 200 200 200 404
POST   /api/organisations/{org_id}/improvement/handovers/{handover_id}/accept         401 403 403 200 200 404  | {"version": @handover_version}  # the newest: the vision check's, every deliverable ticked
PUT    /api/organisations/{org_id}/improvement/handovers/{handover_id}/new-process    401 403 403 200 200 404  | {"version": @handover_version, "name": "Matrix", "owner_id": 1}
POST   /api/organisations/{org_id}/improvement/handovers/{handover_id}/return         401 403 403 200 200 404  | {"version": @handover_version, "reason": "Matrix"}
POST   /api/organisations/{org_id}/improvement/handovers/{handover_id}/resubmit       401 403 403 422 422 404  | {"version": @handover_version}  # the seeded one was not returned: 422 naming status
PUT    /api/organisations/{org_id}/improvement/handovers/{handover_id}/deliverables   401 403 403 422 422 404  | {"version": @handover_version, "items": []}
GET    /api/organisations/{org_id}/improvement/items                                  401 200 200 200 200 404
POST   /api/organisations/{org_id}/improvement/items                                  401 403 201 201 201 404
GET    /api/organisations/{org_id}/improvement/items/{item_id}                        401 200 200 200 200 404
PATCH  /api/organisations/{org_id}/improvement/items/{item_id}                        401 403 200 200 200 404
POST   /api/organisations/{org_id}/improvement/items/{item_id}/start-project          401 403 403 201 201 404
GET    /api/organisations/{org_id}/improvement/signals                                401 200 200 200 200 404

# --- api instance
GET    /api/instance                                                                  401 404 404 404 404 404
PATCH  /api/instance                                                                  401 404 404 404 404 404

# --- api jobs
GET    /api/organisations/{org_id}/jobs/{job_id}                                      401 200 200 200 200 404
POST   /api/organisations/{org_id}/jobs/{job_id}/cancel                               401 403 403 200 200 404

# --- api kpis
GET    /api/kpis/{pk}                                                                 401 200 200 200 200 404
PATCH  /api/kpis/{pk}                                                                 401 403 403 200 200 404
GET    /api/kpis/{pk}/measurements                                                    401 200 200 200 200 404
POST   /api/kpis/{pk}/measurements                                                    401 422 422 422 422 422
POST   /api/kpis/{pk}/measurements                                                    401 403 201 201 201 404  | {"measurements": [{"measured_on": "2027-01-04", "value": 1.5}], "confirm": true}  # confirmed: a future date would otherwise answer 422 with warnings
GET    /api/organisations/{org_id}/kpis                                               401 200 200 200 200 404

# --- api me
GET    /api/me                                                                        401 200 200 200 200 200
PATCH  /api/me                                                                        401 200 200 200 200 200  | {"full_name": "Sam Sample"}
GET    /api/me/preferences                                                            401 200 200 200 200 200
PATCH  /api/me/preferences                                                            401 422 422 422 422 422
PATCH  /api/me/preferences                                                            401 200 200 200 200 200  | {"timezone": "Europe/London"}

# --- api notifications
GET    /api/me/notifications                                                          401 200 200 200 200 200
GET    /api/me/notifications/unread-count                                             401 200 200 200 200 200
POST   /api/me/notifications/read-all                                                 401 200 200 200 200 200
POST   /api/me/notifications/{notification_id}/read                                   401 404 404 404 200 404
GET    /api/me/notification-settings                                                  401 200 200 200 200 200
PUT    /api/me/notification-settings/{kind}                                           401 422 422 422 422 422
PUT    /api/me/notification-settings/{kind}                                           401 200 200 200 200 200  kind=assigned | {"delivery": "digest"}
GET    /api/me/notification-email                                                     401 200 200 200 200 200
PUT    /api/me/notification-email                                                     401 200 200 200 200 200  | {"stop_all": true}
GET    /api/follows/{target_type}/{target_id}                                         401 200 200 200 200 404
PUT    /api/follows/{target_type}/{target_id}                                         401 200 200 200 200 404
GET    /api/organisations/{org_id}/outbox                                             401 403 403 200 200 404
POST   /api/organisations/{org_id}/outbox/{email_id}/retry                            401 403 403 200 200 404

# --- api members
GET    /api/organisations/{org_id}/members                                            401 200 200 200 200 404
POST   /api/organisations/{org_id}/members                                            401 403 403 422 422 404
PATCH  /api/organisations/{org_id}/members/{member_id}                                401 403 403 200 200 404
DELETE /api/organisations/{org_id}/members/{member_id}                                401 403 403 204 204 404
GET    /api/organisations/{org_id}/invitations                                        401 403 403 200 200 404
DELETE /api/organisations/{org_id}/invitations/{invitation_id}                        401 403 403 204 204 404
GET    /api/me/invitations                                                            401 200 200 200 200 200
POST   /api/me/invitations/{invitation_id}/accept                                     401 404 404 404 404 201  # only the invited person answers
POST   /api/me/invitations/{invitation_id}/decline                                    401 404 404 404 404 204

# --- api occurrences
GET    /api/occurrences/{pk}                                                          401 200 200 200 200 404
POST   /api/occurrences/{pk}/complete                                                 401 403 422 422 422 404
POST   /api/organisations/{org_id}/occurrences/generate                               401 403 403 200 200 404  # admins, as the overview's button

# --- api openapi.json
GET    /api/openapi.json                                                              200 200 200 200 200 200
POST   /api/openapi.json                                                              200 200 200 200 200 200

# --- api operations
DELETE /api/operations/{kind}/{pk}                                                    401 403 403 200 200 404  ?version=1
GET    /api/operations/{kind}/{pk}/deletion                                           401 403 403 200 200 404

# --- api organisations
GET    /api/organisations                                                             401 200 200 200 200 200
POST   /api/organisations                                                             401 201 201 201 201 201
GET    /api/organisations/{org_id}                                                    401 200 200 200 200 404
PATCH  /api/organisations/{org_id}                                                    401 403 403 200 200 404
DELETE /api/organisations/{org_id}                                                    401 403 403 403 204 404  ?confirm_name=Halvorsen%20Precision

# --- api people
GET    /api/organisations/{org_id}/people/{user_id}                                   401 200 200 200 200 404
PATCH  /api/organisations/{org_id}/people/{user_id}                                   401 403 403 200 200 404
GET    /api/organisations/{org_id}/people/{user_id}/availability                      401 200 200 200 200 404
GET    /api/organisations/{org_id}/people/{user_id}/availability/absences             401 200 200 200 200 404
POST   /api/organisations/{org_id}/people/{user_id}/availability/absences             401 403 403 201 201 404
PATCH  /api/organisations/{org_id}/people/{user_id}/availability/absences/{absence_id} 401 403 403 200 200 404
DELETE /api/organisations/{org_id}/people/{user_id}/availability/absences/{absence_id} 401 403 403 204 204 404
GET    /api/organisations/{org_id}/people/{user_id}/availability/pattern              401 200 200 200 200 404
PUT    /api/organisations/{org_id}/people/{user_id}/availability/pattern              401 403 403 200 200 404
DELETE /api/organisations/{org_id}/people/{user_id}/availability/patterns/{pattern_id} 401 403 403 204 204 404

# --- api processes
GET    /api/organisations/{org_id}/processes                                          401 200 200 200 200 404
POST   /api/organisations/{org_id}/processes                                          401 403 403 201 201 404
GET    /api/processes/{pk}                                                            401 200 200 200 200 404
PATCH  /api/processes/{pk}                                                            401 403 403 200 200 404
POST   /api/processes/{pk}/kpis                                                       401 403 403 201 201 404
POST   /api/processes/{pk}/routines                                                   401 403 403 422 422 404

# --- api programmes
GET    /api/organisations/{org_id}/programmes                                         401 200 200 200 200 404
POST   /api/organisations/{org_id}/programmes                                         401 403 403 201 201 404
GET    /api/organisations/{org_id}/programmes/{programme_id}                          401 200 200 200 200 404
PATCH  /api/organisations/{org_id}/programmes/{programme_id}                          401 403 403 200 200 404
POST   /api/organisations/{org_id}/programmes/{programme_id}/archive                  401 403 403 422 422 404
POST   /api/organisations/{org_id}/programmes/{programme_id}/projects                 401 403 403 200 200 404
DELETE /api/organisations/{org_id}/programmes/{programme_id}/projects/{project_id}    401 422 422 422 422 404

# --- api projects
GET    /api/organisations/{org_id}/projects                                           401 200 200 200 200 404
POST   /api/organisations/{org_id}/projects                                           401 403 403 201 201 404
GET    /api/organisations/{org_id}/projects/{project_id}                              401 200 200 200 200 404
PATCH  /api/organisations/{org_id}/projects/{project_id}                              401 403 403 200 200 404
DELETE /api/organisations/{org_id}/projects/{project_id}                              401 403 403 204 204 404  ?version=1
POST   /api/organisations/{org_id}/projects/{project_id}/archive                      401 403 403 422 422 404
GET    /api/organisations/{org_id}/projects/{project_id}/baselines                    401 200 200 200 200 404
POST   /api/organisations/{org_id}/projects/{project_id}/baselines                    401 403 201 201 201 404
PUT    /api/organisations/{org_id}/projects/{project_id}/calendar                     401 403 403 200 200 404
GET    /api/organisations/{org_id}/projects/{project_id}/delete                       401 200 200 200 200 404
POST   /api/organisations/{org_id}/projects/{project_id}/level/apply                  401 422 422 422 422 422
POST   /api/organisations/{org_id}/projects/{project_id}/level/preview                401 403 200 200 200 404
GET    /api/organisations/{org_id}/projects/{project_id}/links                        401 200 200 200 200 404
POST   /api/organisations/{org_id}/projects/{project_id}/links                        401 403 422 422 422 404
DELETE /api/organisations/{org_id}/projects/{project_id}/links/{link_id}              401 403 204 204 204 404
GET    /api/organisations/{org_id}/projects/{project_id}/risks                        401 200 200 200 200 404
POST   /api/organisations/{org_id}/projects/{project_id}/risks                        401 403 201 201 201 404
GET    /api/organisations/{org_id}/projects/{project_id}/risks/{risk_id}              401 200 200 200 200 404
PATCH  /api/organisations/{org_id}/projects/{project_id}/risks/{risk_id}              401 403 200 200 200 404
DELETE /api/organisations/{org_id}/projects/{project_id}/risks/{risk_id}              401 403 204 204 204 404
GET    /api/organisations/{org_id}/projects/{project_id}/schedule-risk                401 200 200 200 200 404
POST   /api/organisations/{org_id}/projects/{project_id}/schedule-risk/run            401 403 200 200 200 404
GET    /api/organisations/{org_id}/projects/{project_id}/tasks                        401 200 200 200 200 404
POST   /api/organisations/{org_id}/projects/{project_id}/tasks                        401 403 201 201 201 404
PATCH  /api/organisations/{org_id}/projects/{project_id}/tasks/{task_id}              401 403 200 200 200 404
DELETE /api/organisations/{org_id}/projects/{project_id}/tasks/{task_id}              401 403 204 204 204 404
GET    /api/organisations/{org_id}/projects/{project_id}/tasks/{task_id}/deletion     401 200 200 200 200 404
POST   /api/organisations/{org_id}/projects/{project_id}/tasks/{task_id}/move         401 403 200 200 200 404
POST   /api/organisations/{org_id}/projects/{project_id}/tasks/{task_id}/move         401 428 428 428 428 428  | {"status": "doing"}  # no version: 428 before the task is looked up
# the task page's checklist, indent/outdent, the board's WIP limits, health and history
GET    /api/organisations/{org_id}/projects/{project_id}/tasks/{task_id}/checklist    401 200 200 200 200 404
POST   /api/organisations/{org_id}/projects/{project_id}/tasks/{task_id}/checklist    401 403 201 201 201 404
PUT    /api/organisations/{org_id}/projects/{project_id}/tasks/{task_id}/checklist/{item_id} 401 403 200 200 200 404
DELETE /api/organisations/{org_id}/projects/{project_id}/tasks/{task_id}/checklist/{item_id} 401 403 204 204 204 404
POST   /api/organisations/{org_id}/projects/{project_id}/tasks/{task_id}/indent       401 403 200 200 200 404
POST   /api/organisations/{org_id}/projects/{project_id}/tasks/{task_id}/outdent      401 403 422 422 422 404  # the matrix task is at the top level
GET    /api/organisations/{org_id}/projects/{project_id}/board/wip-limits             401 200 200 200 200 404
PUT    /api/organisations/{org_id}/projects/{project_id}/board/wip-limits             401 403 403 200 200 404  # as the board page: admins
GET    /api/organisations/{org_id}/projects/{project_id}/health                       401 200 200 200 200 404
GET    /api/organisations/{org_id}/projects/{project_id}/history                      401 200 200 200 200 404
GET    /api/organisations/{org_id}/projects/{project_id}/tasks/{task_id}/history      401 200 200 200 200 404

# --- api tokens (one's own: Settings → API tokens)
GET    /api/me/tokens                                                                 401 200 200 200 200 200
POST   /api/me/tokens                                                                 401 403 403 403 403 403  # the matrix calls with a token: tokens are made from a session
DELETE /api/me/tokens/{token_id}                                                      401 404 404 404 204 404  # a token is its person's: the seeded one is the owner's

# --- api attachments (the attachments page's actions)
GET    /api/organisations/{org_id}/attachments/{kind}/{target_id}                     401 200 200 200 200 404
POST   /api/organisations/{org_id}/attachments/{kind}/{target_id}                     401 422 422 422 422 422  # multipart: without a file the body is refused before any check
GET    /api/organisations/{org_id}/attachment-files/{attachment_id}                   401 200 200 200 200 404
DELETE /api/organisations/{org_id}/attachments/{attachment_id}                        401 403 403 204 204 404  # as the page: the uploader or an admin deletes (the seeded file is another member's)

# --- api process spend (the process page's spend form)
GET    /api/processes/{pk}/spend                                                      401 403 403 200 200 404  # money: admins, owners, the process owner (a member)
POST   /api/processes/{pk}/spend                                                      401 403 403 201 201 404

# --- api flow metrics (the flow page's figures)
GET    /api/organisations/{org_id}/flow-metrics                                       401 200 200 200 200 404

# --- api gates (the gates page's actions: tick the current gate's checklist, sign it off)
GET    /api/organisations/{org_id}/projects/{project_id}/gates                        401 200 200 200 200 404
PUT    /api/organisations/{org_id}/projects/{project_id}/gates/items/{item_id}        401 403 422 422 422 404  # as the page: the seeded item's gate is not the current one
POST   /api/organisations/{org_id}/projects/{project_id}/gates/{gate_id}/sign-off     401 403 403 422 422 404  # as the page: members may not sign off; the gate's checklist is open

# --- api queues
GET    /api/organisations/{org_id}/queues                                             401 200 200 200 200 404
POST   /api/organisations/{org_id}/queues                                             401 403 403 201 201 404
GET    /api/queues/{pk}                                                               401 200 200 200 200 404
PATCH  /api/queues/{pk}                                                               401 403 403 200 200 404
GET    /api/queues/{pk}/requests                                                      401 200 200 200 200 404
POST   /api/queues/{pk}/requests                                                      401 403 201 201 201 404

# --- api requests
GET    /api/requests/{pk}                                                             401 200 200 200 200 404
POST   /api/requests/{pk}/status                                                      401 403 422 422 422 404

# --- api routines
GET    /api/organisations/{org_id}/routines                                           401 200 200 200 200 404
GET    /api/routines/{pk}                                                             401 200 200 200 200 404
PATCH  /api/routines/{pk}                                                             401 403 403 200 200 404
GET    /api/routines/{pk}/occurrences                                                 401 200 200 200 200 404

# --- api search
GET    /api/organisations/{org_id}/search                                             401 200 200 200 200 404  ?q=line
GET    /api/organisations/{org_id}/report                                             401 200 200 200 200 404

# --- api settings
GET    /api/organisations/{org_id}/settings/gate-checklists                           401 200 200 200 200 404
PUT    /api/organisations/{org_id}/settings/gate-checklists/{phase}                   401 403 403 409 409 404
GET    /api/organisations/{org_id}/settings/handover-deliverables                     401 200 200 200 200 404
PUT    /api/organisations/{org_id}/settings/handover-deliverables                     401 403 403 409 409 404
GET    /api/organisations/{org_id}/settings/costs                                     401 200 200 200 200 404
PUT    /api/organisations/{org_id}/settings/costs                                     401 403 403 200 200 404 | {"currency": "EUR", "locale": "en-GB"}

# --- api teams
GET    /api/organisations/{org_id}/teams                                              401 200 200 200 200 404
POST   /api/organisations/{org_id}/teams                                              401 403 403 201 201 404
GET    /api/organisations/{org_id}/teams/{team_id}                                    401 200 200 200 200 404
PATCH  /api/organisations/{org_id}/teams/{team_id}                                    401 403 403 200 200 404
DELETE /api/organisations/{org_id}/teams/{team_id}                                    401 403 403 204 204 404

# --- api templates
GET    /api/organisations/{org_id}/templates                                          401 200 200 200 200 404
POST   /api/organisations/{org_id}/templates                                          401 403 403 201 201 404
GET    /api/organisations/{org_id}/templates/{template_id}                            401 200 200 200 200 404
PATCH  /api/organisations/{org_id}/templates/{template_id}                            401 403 403 200 200 404
DELETE /api/organisations/{org_id}/templates/{template_id}                            401 403 403 204 204 404
POST   /api/organisations/{org_id}/templates/{template_id}/projects                   401 403 403 201 201 404

# --- api capacity: reservations, queue workload, take-on, assignments, clear levelling
GET    /api/organisations/{org_id}/capacity/cell                                      401 200 200 200 200 404  ?person_id={user_id}&week=2025-03-03
GET    /api/organisations/{org_id}/capacity/reservations                              401 200 200 200 200 404
POST   /api/organisations/{org_id}/capacity/reservations                              401 403 403 422 422 404
PATCH  /api/organisations/{org_id}/capacity/reservations/{reservation_id}             401 403 403 200 200 404
DELETE /api/organisations/{org_id}/capacity/reservations/{reservation_id}             401 403 403 204 204 404
PUT    /api/organisations/{org_id}/capacity/queues/{queue_id}/workload                401 403 403 200 200 404
GET    /api/organisations/{org_id}/capacity/take-on/{project_id}                      401 422 422 422 422 404
POST   /api/organisations/{org_id}/projects/{project_id}/level/clear                  401 403 422 422 422 404
GET    /api/organisations/{org_id}/projects/{project_id}/level/delays                 401 200 200 200 200 404
GET    /api/organisations/{org_id}/projects/{project_id}/tasks/{task_id}              401 200 200 200 200 404
GET    /api/organisations/{org_id}/projects/{project_id}/tasks/{task_id}/assignments  401 200 200 200 200 404
PUT    /api/organisations/{org_id}/projects/{project_id}/tasks/{task_id}/assignments  401 403 200 200 200 404
GET    /api/organisations/{org_id}/projects/{project_id}/tasks/{task_id}/people       401 200 200 200 200 404
POST   /api/organisations/{org_id}/projects/{project_id}/tasks/{task_id}/people       401 403 201 201 201 404
PATCH  /api/organisations/{org_id}/projects/{project_id}/tasks/{task_id}/people/{user_id} 401 403 404 404 404 404  # the seeded person is not on the seeded task
DELETE /api/organisations/{org_id}/projects/{project_id}/tasks/{task_id}/people/{user_id} 401 403 404 404 404 404  ?version=1  # not on the task either
PUT    /api/organisations/{org_id}/projects/{project_id}/tasks/{task_id}/resourcing   401 403 200 200 200 404

# --- api closeout
GET    /api/organisations/{org_id}/handovers/{handover_id}/hypercare                  401 200 200 200 200 404
PUT    /api/organisations/{org_id}/handovers/{handover_id}/hypercare                  401 403 403 200 200 404  | {"version": 0}
GET    /api/organisations/{org_id}/handovers/{handover_id}/parts                      401 200 200 200 200 404
POST   /api/organisations/{org_id}/handovers/{handover_id}/parts                      401 403 403 422 422 404
POST   /api/organisations/{org_id}/handovers/{handover_id}/documents                  401 422 422 422 422 422  # multipart: the form is checked before the handover is looked up; nothing changes
PATCH  /api/organisations/{org_id}/handover-parts/{part_id}                           401 403 403 422 422 404
DELETE /api/organisations/{org_id}/handover-parts/{part_id}                           401 403 403 422 422 404  ?version=1
GET    /api/organisations/{org_id}/queues/{queue_id}/hypercare                        401 200 200 200 200 404
GET    /api/organisations/{org_id}/origins                                            401 200 200 200 200 404  ?model=routine&object_id={routines}
GET    /api/organisations/{org_id}/lessons                                            401 200 200 200 200 404
GET    /api/organisations/{org_id}/lessons/{lesson_id}                                401 200 200 200 200 404
PATCH  /api/organisations/{org_id}/lessons/{lesson_id}                                401 403 409 409 409 404
POST   /api/organisations/{org_id}/lessons/{lesson_id}/improvement-item               401 403 409 409 409 404
POST   /api/organisations/{org_id}/lessons/{lesson_id}/risk                           401 403 409 409 409 404
POST   /api/organisations/{org_id}/lessons/{lesson_id}/template-change                401 403 409 409 409 404
POST   /api/organisations/{org_id}/projects/{project_id}/lessons                      401 403 422 422 422 404

# --- api feeds
POST   /api/organisations/{org_id}/export                                             401 403 403 403 200 404  # owners export their organisation
GET    /api/organisations/{org_id}/exports/{job_id}/archive                           401 403 403 403 200 404
POST   /api/organisation-imports                                                      401 422 422 422 422 422  # anyone signed in; no file: 422
GET    /api/organisations/{org_id}/feeds                                              401 200 200 200 200 404
POST   /api/organisations/{org_id}/feeds                                              401 201 201 201 201 404  # a person's own read-only feed: guests read
DELETE /api/organisations/{org_id}/feeds/{pk}                                         401 404 404 404 204 404  # a feed is its owner's: nobody else sees it

# --- api webhooks (admins and owners)
GET    /api/organisations/{org_id}/webhooks                                           401 403 403 200 200 404
POST   /api/organisations/{org_id}/webhooks                                           401 403 403 201 201 404  | {"url": "https://93.184.216.34/hook", "event_types": ["task.created"]}
GET    /api/organisations/{org_id}/webhooks/{pk}                                      401 403 403 200 200 404
PATCH  /api/organisations/{org_id}/webhooks/{pk}                                      401 403 403 200 200 404  | {"version": 1, "description": "Matrix"}
DELETE /api/organisations/{org_id}/webhooks/{pk}                                      401 403 403 204 204 404
POST   /api/organisations/{org_id}/webhooks/{pk}/rotate-secret                        401 403 403 200 200 404
POST   /api/organisations/{org_id}/webhooks/{pk}/test                                 401 403 403 202 202 404
GET    /api/organisations/{org_id}/webhooks/{pk}/deliveries                           401 403 403 200 200 404
GET    /api/organisations/{org_id}/webhooks/{pk}/attempts                             401 403 403 200 200 404
POST   /api/organisations/{org_id}/webhooks/{pk}/deliveries/{delivery_id}/redeliver   401 403 403 202 202 404

# --- api microsoft project (interchange)
GET    /api/organisations/{org_id}/mspdi-imports/{pk}                                 401 404 404 404 200 404  # an upload is its uploader's: nobody else sees it
GET    /api/organisations/{org_id}/projects/{project_id}/mspdi                        401 200 200 200 200 404
POST   /api/organisations/{org_id}/mspdi-imports                                      401 422 422 422 422 422  # multipart: without a file the body is refused before any check
POST   /api/organisations/{org_id}/mspdi-imports/{pk}/apply                           401 404 404 404 201 404  # an upload is its uploader's

# --- api spreadsheet import and history export (interchange)
POST   /api/organisations/{org_id}/sheet-imports                                      401 422 422 422 422 422  # multipart: without a file the body is refused before any check
GET    /api/organisations/{org_id}/sheet-imports/{pk}                                 401 404 404 404 200 404  # an upload is its uploader's: nobody else sees it
POST   /api/organisations/{org_id}/sheet-imports/{pk}/check                           401 404 404 404 200 404  | {"mapping": {"name": 0}}
POST   /api/organisations/{org_id}/sheet-imports/{pk}/apply                           401 404 404 404 422 404  | {"mapping": {"name": 5}}
GET    /api/organisations/{org_id}/history/export                                     401 200 200 200 200 404

# --- api improvement (later)
DELETE /api/organisations/{org_id}/improvement/items/{item_id}                        401 403 204 204 204 404  ?version=1
GET    /api/organisations/{org_id}/improvement/items/{item_id}/check                  401 200 200 200 200 404
PUT    /api/organisations/{org_id}/improvement/items/{item_id}/go-live                401 403 200 200 200 404
GET    /api/projects/{pk}/process-changes                                             401 200 200 200 200 404
POST   /api/projects/{pk}/process-changes                                             401 403 201 201 201 404
GET    /api/process-changes/{pk}                                                      401 200 200 200 200 404
DELETE /api/process-changes/{pk}                                                      401 403 204 204 204 404
PUT    /api/process-changes/{pk}/go-live                                              401 403 200 200 200 404

# --- api measurements
GET    /api/kpis/{pk}/change-points                                                   401 200 200 200 200 404
POST   /api/kpis/{pk}/change-points                                                   401 403 403 201 201 404
DELETE /api/change-points/{pk}                                                        401 403 403 422 422 404
POST   /api/kpis/{pk}/measurements/csv                                                401 422 422 422 422 422  # multipart: the file is checked before the KPI is looked up; nothing changes
GET    /api/measurements/{pk}                                                         401 200 200 200 200 404
POST   /api/measurements/{pk}/correct                                                 401 403 200 200 200 404
POST   /api/measurements/{pk}/void                                                    401 403 200 200 200 404
GET    /api/occurrences/{pk}/evidence                                                 401 200 200 200 200 404
POST   /api/occurrences/{pk}/steps/{step_id}/file                                     401 422 422 422 422 422  # multipart: the file is checked before the occurrence is looked up; nothing changes

# --- api my-work
GET    /api/organisations/{org_id}/my-work                                            401 200 200 200 200 404

# --- api quality
GET    /api/organisations/{org_id}/nonconformances                                    401 200 200 200 200 404
POST   /api/organisations/{org_id}/nonconformances                                    401 403 201 201 201 404
GET    /api/nonconformances/{pk}                                                      401 200 200 200 200 404
PATCH  /api/nonconformances/{pk}                                                      401 403 422 422 422 404
POST   /api/nonconformances/{pk}/actions                                              401 403 422 422 422 404
PATCH  /api/capa-actions/{pk}                                                         401 403 422 422 422 404
POST   /api/nonconformances/{pk}/verification                                         401 403 403 403 403 404
POST   /api/nonconformances/{pk}/close                                                401 403 403 403 403 404
POST   /api/processes/{pk}/audit-export                                               401 200 200 200 200 404  # an export is a read
GET    /api/organisations/{org_id}/audit-exports/{job_id}                             401 200 200 200 200 404

# --- api requests (later)
DELETE /api/requests/{pk}                                                             401 403 204 204 204 404  ?version={request_version}
GET    /api/requests/{pk}/assignment                                                  401 200 200 200 200 404
POST   /api/requests/{pk}/assignee                                                    401 403 200 200 200 404
POST   /api/requests/{pk}/priority                                                    401 403 422 422 422 404

# --- api trash
GET    /api/organisations/{org_id}/trash                                              401 403 403 200 200 404
POST   /api/organisations/{org_id}/trash/{entry_id}/restore                           401 403 403 200 200 404  ?version={entry_version}
DELETE /api/organisations/{org_id}/trash/{entry_id}                                   401 403 403 204 204 404
GET    /api/organisations/{org_id}/deleted                                            401 200 200 200 200 404  # tombstones: ids only, for every reader

# --- api activity and comments
GET    /api/organisations/{org_id}/activity                                           401 200 200 200 200 404
GET    /api/organisations/{org_id}/activity-feeds                                     401 200 200 200 200 404
POST   /api/organisations/{org_id}/activity-feeds                                     401 201 201 201 201 404  # a person's own read-only feed: guests read
DELETE /api/organisations/{org_id}/activity-feeds/{pk}                                401 404 404 404 204 404  # a feed is its owner's
GET    /api/organisations/{org_id}/comments/{kind}/{target_id}                        401 200 200 200 200 404
POST   /api/organisations/{org_id}/comments/{kind}/{target_id}                        401 403 201 201 201 404
GET    /api/organisations/{org_id}/comments/{pk}                                      401 200 200 200 200 404
PATCH  /api/organisations/{org_id}/comments/{pk}                                      401 403 200 403 403 404  | {"body": "Edited", "version": 1}
DELETE /api/organisations/{org_id}/comments/{pk}                                      401 403 204 204 204 404
# --- costs (pages): members see hours, not money; rates for admins; approvals by deciders
GET    /costs/timesheet/                                                              login 403 200 200 200 200  # guests do not log time: a refusal that says so, not a grid that refuses
POST   /costs/timesheet/                                                              login 403 302 302 302 302
GET    /costs/timer/start/                                                            405 405 405 405 405 405
POST   /costs/timer/start/                                                            login 403 302 302 302 302  # no line: said in a message
GET    /costs/timer/stop/                                                             405 405 405 405 405 405
POST   /costs/timer/stop/                                                             login 403 302 302 302 302  # no timer running: said in a message
GET    /costs/approvals/                                                              login 200 200 200 200 200
POST   /costs/approvals/                                                              login 405 405 405 405 405
GET    /costs/approvals/<int:timesheet_id>/                                           login 404 404 200 200 404  # a week one may not see is not there
POST   /costs/approvals/<int:timesheet_id>/                                           login 404 404 422 422 404  # returning needs a reason
GET    /costs/expenses/                                                               login 200 200 200 200 200
POST   /costs/expenses/                                                               login 403 400 400 400 400
GET    /costs/expenses/<int:expense_id>/                                              login 404 404 200 200 404  # an expense one may not see is not there
POST   /costs/expenses/<int:expense_id>/                                              login 404 404 422 422 404  # returning needs a reason
GET    /costs/expenses/<int:expense_id>/attachment/                                   login 404 404 404 404 404  # the demo's expense has no file
POST   /costs/expenses/<int:expense_id>/attachment/                                   405 405 405 405 405 405
GET    /costs/export/expenses.<str:fmt>                                               login 200 200 200 200 200  fmt=xlsx
POST   /costs/export/expenses.<str:fmt>                                               405 405 405 405 405 405  fmt=csv
GET    /costs/export/timesheets.<str:fmt>                                             login 200 200 200 200 200  fmt=csv
POST   /costs/export/timesheets.<str:fmt>                                             405 405 405 405 405 405  fmt=csv
GET    /costs/processes/<int:process_id>/budget/                                      login 403 403 200 200 404
POST   /costs/processes/<int:process_id>/budget/                                      login 403 403 302 302 404  | fiscal_year=2026&amount=90000
GET    /costs/projects/<int:project_id>/                                              login 200 200 200 200 404
POST   /costs/projects/<int:project_id>/                                              login 405 405 405 405 404
GET    /costs/rates/                                                                  login 403 403 200 200 200
POST   /costs/rates/                                                                  login 403 403 400 400 400
GET    /costs/rates/<int:rate_id>/delete/                                             405 405 405 405 405 405
POST   /costs/rates/<int:rate_id>/delete/                                             login 403 403 302 302 404

# --- api costs
GET    /api/organisations/{org_id}/timesheet                                          401 200 200 200 200 404
PUT    /api/organisations/{org_id}/timesheet                                          401 403 200 200 200 404  # the generated cells save on one's own week
POST   /api/organisations/{org_id}/timesheets/{timesheet_id}/submit                   401 404 404 403 403 404  # someone else's week
POST   /api/organisations/{org_id}/timesheets/{timesheet_id}/decision                 401 404 404 422 422 404  # returning needs a reason; a week you neither own nor decide is 404
GET    /api/organisations/{org_id}/time-entries                                       401 200 200 200 200 404  ?from=2025-01-01&to=2025-12-31
POST   /api/organisations/{org_id}/timer                                              401 403 422 422 422 404
DELETE /api/organisations/{org_id}/timer                                              401 403 409 409 409 404
GET    /api/organisations/{org_id}/expenses                                           401 200 200 200 200 404
POST   /api/organisations/{org_id}/expenses                                           401 403 422 422 422 404
POST   /api/organisations/{org_id}/expenses/{expense_id}/decision                     401 404 404 422 422 404  # returning needs a reason; an expense you do not decide is 404
POST   /api/organisations/{org_id}/expenses/{expense_id}/resubmit                     401 404 404 403 403 404  # only whoever recorded it resubmits; an expense you may not see is 404
GET    /api/organisations/{org_id}/expenses/{expense_id}/receipt                      401 404 404 404 404 404  # the seeded expense has no receipt; one you may not see is 404 too
POST   /api/organisations/{org_id}/expenses/{expense_id}/receipt                      401 428 428 428 428 428  # multipart with a version: without it 428 first (tests/costs: who may add one)
GET    /api/organisations/{org_id}/rates                                              401 403 403 200 200 404
POST   /api/organisations/{org_id}/rates                                              401 403 403 422 422 404
DELETE /api/organisations/{org_id}/rates/{rate_id}                                    401 403 403 204 204 404
GET    /api/organisations/{org_id}/processes/{process_id}/budget                      401 403 403 200 200 404
PUT    /api/organisations/{org_id}/processes/{process_id}/budget                      401 403 403 200 200 404
"""
