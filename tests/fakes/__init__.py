"""Loopback fakes of Slack / Bot Framework HTTP APIs and builders of realistic inbound requests."""

from tests.fakes.activities import (
    adaptive_card_action_value,
    card_action_activity,
    channel_message_activity,
    conversation_update_activity,
    default_aad_object_id,
    installation_update_activity,
    invoke_activity,
    mention_entity,
    message_activity,
)
from tests.fakes.bot_connector import ConnectorCall, FakeBotConnector
from tests.fakes.slack_api import FakeSlackApi, SlackCall, SlackHandler
from tests.fakes.slack_requests import (
    SlackRequestFactory,
    app_home_opened_event,
    app_mention_event,
    block_actions_body,
    event_body,
    member_joined_channel_event,
    message_im_event,
    plain_text_value,
    sign,
    slash_command_body,
    url_verification_body,
    view_submission_body,
)

__all__ = [
    "ConnectorCall",
    "FakeBotConnector",
    "FakeSlackApi",
    "SlackCall",
    "SlackHandler",
    "SlackRequestFactory",
    "adaptive_card_action_value",
    "app_home_opened_event",
    "app_mention_event",
    "block_actions_body",
    "card_action_activity",
    "channel_message_activity",
    "conversation_update_activity",
    "default_aad_object_id",
    "event_body",
    "installation_update_activity",
    "invoke_activity",
    "member_joined_channel_event",
    "mention_entity",
    "message_activity",
    "message_im_event",
    "plain_text_value",
    "sign",
    "slash_command_body",
    "url_verification_body",
    "view_submission_body",
]
