"""Our own 404 page with DEBUG on (`make run`'s default), where Django would show its
technical page: that lists every URL pattern of the project to anyone, and answers the API's
unknown URLs with HTML. Without DEBUG, `handler404` already does this; the 403 and 500 pages
are ours either way."""

from django.conf import settings
from django.http import Http404
from django.urls import Resolver404, resolve

from smartbook.api.errors import page_not_found


class DebugNotFoundMiddleware:
    """With DEBUG on, a URL no view matches and an Http404 a page raises answer
    `page_not_found` (JSON under /api/, our page elsewhere). Placed after CommonMiddleware,
    whose slash redirect still sees the 404."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if settings.DEBUG:
            try:
                resolve(request.path_info, getattr(request, "urlconf", None))
            except Resolver404 as exc:
                return page_not_found(request, exc)
        return self.get_response(request)

    def process_exception(self, request, exception):
        if settings.DEBUG and isinstance(exception, Http404):
            return page_not_found(request, exception)
        return None
