"""Shared set-up for the lookup plugin tests."""

import pytest
import yaml
from ansible import constants as C


@pytest.fixture
def load_lookup():
    """A lookup plugin's LookupModule with its options defined by its own DOCUMENTATION, as the plugin loader sets it up."""

    def load(module):
        plugin = module.LookupModule()
        plugin._load_name = module.__name__
        C.config.initialize_plugin_configuration_definitions("lookup", plugin._load_name, yaml.safe_load(module.DOCUMENTATION)["options"])
        return plugin

    return load
