"""API: misconduct proceedings, challenges to their outcomes, and barred/advisory list referrals."""

from __future__ import annotations

from ninja import Router

router = Router(tags=["proceedings"])
