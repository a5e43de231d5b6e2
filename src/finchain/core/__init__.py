"""The ground every module stands on: context, stores, messages, events, errors."""
