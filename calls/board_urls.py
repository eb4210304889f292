from django.urls import path

from . import board

urlpatterns = [
    path("", board.board, name="board"),
    path("live/", board.board_live, name="board-live"),
    path("desk-note/", board.board_desk_note, name="board-desk-note"),
    path(
        "safety-alerts/<uuid:alert_id>/acknowledge/",
        board.board_acknowledge_safety_alert,
        name="board-safety-alert-acknowledge",
    ),
    path("login/", board.BoardLoginView.as_view(next_page="board"), name="board-login"),
]
