//! Making a store: the namespaces it holds and their budgets, its moka
//! cache, and what it verifies and opens.

use super::*;

impl EdgeStore {
    /// A store of the `default` namespace alone, within `capacity` bytes.
    pub fn new(capacity: u64) -> Self {
        Self::with_namespaces(vec![(Namespace::default(), None)], capacity)
    }

    /// A store of `namespaces` (each with its own budget, or sharing
    /// `shared`).
    pub fn with_namespaces(namespaces: Vec<(Namespace, Option<u64>)>, shared: u64) -> Self {
        let capacity = shared + namespaces.iter().filter_map(|(_, b)| *b).sum::<u64>();
        Self::build(namespaces, None, shared, capacity)
    }

    /// The store `c` describes, within `shared` bytes besides the budgets
    /// of their own: `method` mode fills `method_namespace` alone.
    pub fn for_client(c: &ClientSettings, shared: u64) -> Self {
        let own = |ns: &Namespace| c.namespace_sizes.get(ns).map(|s| s.bytes());
        match (&c.namespaces, c.mode) {
            (_, PullMode::Method) => {
                let ns = c.method_namespace.clone();
                Self::with_namespaces(vec![(ns.clone(), own(&ns))], shared)
            }
            (Selection::Every, PullMode::Changes) => Self::of_every(
                c.namespace_sizes
                    .iter()
                    .map(|(ns, size)| (ns.clone(), size.bytes()))
                    .collect(),
                shared,
            ),
            (Selection::Listed(names), PullMode::Changes) => Self::with_namespaces(
                names.iter().map(|ns| (ns.clone(), own(ns))).collect(),
                shared,
            ),
        }
    }

    /// A store of every namespace the pulls bring (`["*"]`), those in `own`
    /// with budgets of their own, the others sharing `shared`.
    pub fn of_every(own: Vec<(Namespace, u64)>, shared: u64) -> Self {
        let capacity = shared + own.iter().map(|(_, b)| b).sum::<u64>();
        Self::build(Vec::new(), Some(own), shared, capacity)
    }

    fn build(
        namespaces: Vec<(Namespace, Option<u64>)>,
        every: Option<Vec<(Namespace, u64)>>,
        shared: u64,
        capacity: u64,
    ) -> Self {
        static STORES: AtomicU64 = AtomicU64::new(0);
        let evictions = Arc::new(AtomicU64::new(0));
        let counter = evictions.clone();
        let changes = Arc::new(AtomicU64::new(0));
        let evicted = changes.clone();
        let tables = Cache::builder()
            .max_capacity(capacity)
            .weigher(|_: &Namespace, t: &Arc<Table>| t.bytes().min(u32::MAX as u64) as u32)
            .eviction_policy(EvictionPolicy::lru())
            .eviction_listener(move |_k, _v, cause| {
                if cause.was_evicted() {
                    counter.fetch_add(1, Ordering::Relaxed);
                    evicted.fetch_add(1, Ordering::Release);
                }
            })
            .build();
        EdgeStore {
            tables,
            id: STORES.fetch_add(1, Ordering::Relaxed),
            changes,
            namespaces: RwLock::new(namespaces),
            every,
            shared,
            capacity,
            fresh_at_us: AtomicI64::new(0),
            evictions,
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            verify_keys: Vec::new(),
            name: String::new(),
            digest_failed: AtomicBool::new(false),
            gray: RwLock::default(),
            opened: Opened::new(Arc::new(Keyring::new(None))),
        }
    }

    /// Opens the secret namespaces `keyring` holds keys of.
    pub fn with_keyring(self, keyring: Arc<Keyring>) -> Self {
        EdgeStore {
            opened: Opened::new(keyring),
            ..self
        }
    }
}
