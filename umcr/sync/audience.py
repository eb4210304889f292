"""Audience keys: who a sync exit (a record leaving phones, umcr/sync/exits.py) is for.
Spelled here only, so the pull that reads them and the services that write them agree."""

from typing import NewType

from .types import ResponderLike

# "team:<id>", "provider:<id>", "responder:<id>" or "*" (everyone), as SyncExit stores it.
AudienceKey = NewType("AudienceKey", str)

EVERYONE = AudienceKey("*")


def team(team_id: int) -> AudienceKey:
    """The phones of a team's members."""
    return AudienceKey(f"team:{team_id}")


def provider(provider_id: int) -> AudienceKey:
    """The phones of everyone working for a provider."""
    return AudienceKey(f"provider:{provider_id}")


def responder(responder_id: int) -> AudienceKey:
    """The phones of one responder."""
    return AudienceKey(f"responder:{responder_id}")


def keys_of(who: ResponderLike) -> list[AudienceKey]:
    """Every audience a responder's phones belong to, in their current scope."""
    keys = [EVERYONE, responder(who.pk)]
    if who.team_id is not None:
        keys.append(team(who.team_id))
    if who.provider_id is not None:
        keys.append(provider(who.provider_id))
    return keys
