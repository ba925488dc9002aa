//! Where webhooks may go.

use clap::Args;
use fxmon_app::net_guard::TargetPolicy;

/// Webhook targets, for the roles that accept webhook URLs (`api`) or deliver to them
/// (`alerter`), and `run`, which does both.
#[derive(Debug, Clone, Copy, Args)]
pub struct WebhookArgs {
    /// Allow webhook URLs whose host is, or resolves to, a loopback, private, link-local,
    /// cloud-metadata or other non-public address. Refused by default (SSRF), when an
    /// alert is created and again at each delivery; allow them for receivers on this host
    /// or its private network.
    #[arg(long, env = "FXMON_WEBHOOK_ALLOW_PRIVATE")]
    pub webhook_allow_private: bool,
}

impl WebhookArgs {
    /// The targets these flags allow.
    pub fn targets(&self) -> TargetPolicy {
        TargetPolicy::allow_private(self.webhook_allow_private)
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Debug, Parser)]
    struct Cli {
        #[command(flatten)]
        webhooks: WebhookArgs,
    }

    #[test]
    fn private_targets_are_refused_unless_the_flag_allows_them() {
        let targets = |args: &[&str]| Cli::parse_from(args).webhooks.targets();
        assert_eq!(targets(&["fxmon"]), TargetPolicy::PublicOnly);
        assert_eq!(
            targets(&["fxmon", "--webhook-allow-private"]),
            TargetPolicy::AllowPrivate
        );
    }
}
