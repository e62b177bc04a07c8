"""The page of a form refused by Django's CSRF check (settings.CSRF_FAILURE_VIEW).

Two deployment mistakes cause it for every form, and Django's stock page names neither:
serving production over plain http, where the browser keeps no https-only cookie
(SESSION_COOKIE_SECURE and CSRF_COOKIE_SECURE are on unless DEBUG), and an https proxy
whose X-Forwarded-Proto is not trusted, so the https Origin looks foreign. The page says
which one the request shows; otherwise it is the usual stale form, fixed by reloading.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    plain_http = not request.is_secure()
    proxied_https = request.META.get("HTTP_X_FORWARDED_PROTO", "").lower() == "https"
    context = {
        "reason": reason,
        "untrusted_proxy": plain_http and proxied_https,
        "cookies_need_https": plain_http
        and not proxied_https
        and (settings.SESSION_COOKIE_SECURE or settings.CSRF_COOKIE_SECURE),
    }
    return render(request, "403_csrf.html", context, status=403)
