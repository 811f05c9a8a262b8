import { PageHeading } from '../../components/forms';

export function StoragePage() {
  return (
    <section>
      <PageHeading>Storage</PageHeading>
    </section>
  );
}
