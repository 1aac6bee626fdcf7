"""The Teams edge: botbuilder's CloudAdapter, Adaptive Cards and the Teams Messenger.

Every botbuilder import lives in this folder, so moving to the Microsoft 365 Agents SDK touches one place.
"""
