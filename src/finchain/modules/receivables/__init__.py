"""receivables module: buyer-confirmed invoices as claims, discounted by banks, paid at maturity."""
