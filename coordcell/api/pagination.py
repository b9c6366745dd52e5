from rest_framework.pagination import PageNumberPagination


class Pagination(PageNumberPagination):
    """?page=N&page_size=M (at most 1000): big enough for a nightly sync, small enough to serve."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 1000
