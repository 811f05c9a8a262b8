import { PageHeading } from '../../components/forms';

export function RegistrationDesk() {
  return (
    <section>
      <PageHeading>Registration desk</PageHeading>
    </section>
  );
}
