#pragma once
// Cluster mode on the command line (core/cluster):
//   --cluster CONN (or RELAYDESK_CLUSTER): this instance is a node of the
//     cluster whose shared PostgreSQL store CONN names; --node-name (default:
//     the host name); --cluster-key FILE (default: <data>/cluster.key).
//   --cluster-keygen: writes a new cluster key and exits (once per cluster;
//     copy the file to every node).
//   --migrate-to-cluster [--force]: publishes this instance's configuration as
//     the cluster's (a standalone instance becomes the first node).
//   --cluster-history, --cluster-nodes: print the change history and the node
//     registry from the store.
// Admin commands (--add-user, --config FILE, ...) given with --cluster change
// the local copy and are then published to the store before the command ends.

#include "cluster/clusternode.h"

#include <QCommandLineOption>
#include <QCommandLineParser>

#include <optional>

namespace rd::app {

QList<QCommandLineOption> clusterOptions();

// The node's options, or nothing when not in cluster mode. On a bad
// connection string prints why and sets *rc (2).
std::optional<cluster::ClusterOptions> clusterOptionsFrom(const QCommandLineParser &parser, const QString &dataDir,
                                                          int *rc);

// --cluster-keygen, --migrate-to-cluster, --cluster-history, --cluster-nodes.
std::optional<int> runClusterCommand(const QCommandLineParser &parser, const QString &dataDir,
                                     const std::optional<cluster::ClusterOptions> &options);

// One synchronisation now (pull the newest configuration, publish local
// changes), bounded by the connect timeout. Prints what went wrong and goes on:
// a node starts on its local copy when the store is down. True if it worked.
bool syncClusterOnce(const cluster::ClusterOptions &options, const QString &dataDir, const QString &summary);

} // namespace rd::app
