# dist/: `make install` and `make uninstall` (PREFIX, DESTDIR honoured):
# the binary, its manual (made from the commands' --help by dist/gen-man),
# bash and zsh completions, and the systemd unit that runs
# `ccompose system boot` at startup.
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
SYSTEMDUNITDIR ?= $(PREFIX)/lib/systemd/system

.PHONY: install uninstall man

man: $(BUILD)/ccompose.1

$(BUILD)/ccompose.1: $(BUILD)/ccompose dist/gen-man
	dist/gen-man $(BUILD)/ccompose >$@.tmp && mv $@.tmp $@

$(BUILD)/ccompose-boot.service: dist/ccompose-boot.service.in
	sed 's|@BINDIR@|$(BINDIR)|g' $< >$@

install: $(BUILD)/ccompose $(BUILD)/ccompose.1 $(BUILD)/ccompose-boot.service
	install -D -m 0755 $(BUILD)/ccompose $(DESTDIR)$(BINDIR)/ccompose
	install -D -m 0644 $(BUILD)/ccompose.1 $(DESTDIR)$(MANDIR)/man1/ccompose.1
	install -D -m 0644 dist/ccompose.bash $(DESTDIR)$(BASHCOMPDIR)/ccompose
	install -D -m 0644 dist/_ccompose $(DESTDIR)$(ZSHCOMPDIR)/_ccompose
	install -D -m 0644 $(BUILD)/ccompose-boot.service $(DESTDIR)$(SYSTEMDUNITDIR)/ccompose-boot.service
	@echo "installed; to bring projects back after a reboot: systemctl daemon-reload && systemctl enable ccompose-boot.service"

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/ccompose $(DESTDIR)$(MANDIR)/man1/ccompose.1 \
		$(DESTDIR)$(BASHCOMPDIR)/ccompose $(DESTDIR)$(ZSHCOMPDIR)/_ccompose \
		$(DESTDIR)$(SYSTEMDUNITDIR)/ccompose-boot.service
