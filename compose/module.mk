# compose/: tests/system/test-config.sh reads the YAML output of `config`
# back with PyYAML to check its quoting.
DEB_PKGS += python3-yaml
