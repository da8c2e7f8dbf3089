"""Who may do what over HTTP, shared by the REST API (`zhili.api`) and the web pages (`zhili.web`).

* `auth`: sessions (cookie + database row), bearer tokens, CSRF, the viewer < editor < admin roles;
* `login`: password login with a brake per client and name; `proxies`: the client's address;
* `review`: the four-eyes rule on publishing;
* `errors`: the one error shape every refusal carries; `headers`: security headers on every response.

Both sides import this package and nothing of each other; `zhili.app` puts them together.
"""
